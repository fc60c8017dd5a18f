import { readFile } from 'node:fs/promises';
import type { PatchQueue, PatchQueueItem, QueuePageInfo } from '@patchwarden/core';
import { pageOfQueue, parsePolicyYaml, pwError } from '@patchwarden/core';
import { QueueService } from '@patchwarden/store';
import { connectedCommand, withClient } from '../api/api-command.ts';
import { parseOutputFormat, renderJson, renderTable } from '../api/render-records.ts';
import { openStore } from '../store/open-store.ts';

type QueueAnswer = PatchQueue & { policyVersion?: number; page?: QueuePageInfo };

const MAX_PAGE = 1000;

function slotOf(item: PatchQueueItem): string {
  const first = [...item.assets].sort(
    (a, b) => (a.slot.plannedEpochMs ?? Infinity) - (b.slot.plannedEpochMs ?? Infinity),
  )[0];
  if (!first) return '';
  const { slot } = first;
  return slot.mode === 'window' ? `${slot.windowId} ${slot.windowStart}` : (slot.plannedAt ?? slot.mode);
}

/** The queue as a table: one line per patch, best risk removed per unit of disruption first. */
export function renderQueueTable(queue: QueueAnswer, explain: boolean): string {
  const first = queue.page?.offset ?? 0;
  const rows = queue.items.map((item, index) => ({ item, rank: first + index + 1 }));
  const table = renderTable(rows, [
    { header: '#', value: (r) => r.rank },
    { header: 'PATCH', value: (r) => `${r.item.packageName} ${r.item.fixedVersion}`, max: 50 },
    { header: 'ASSETS', value: (r) => r.item.assets.length },
    { header: 'DUE', value: (r) => r.item.due },
    { header: 'SLA', value: (r) => r.item.sla },
    { header: 'APPROVAL', value: (r) => r.item.approval.state },
    { header: 'FIRST SLOT', value: (r) => slotOf(r.item), max: 45 },
    { header: 'RISK', value: (r) => r.item.riskRemoved.total },
    { header: 'EMERGENCY', value: (r) => r.item.emergencies.join(' ') },
  ]);
  const s = queue.summary;
  const head =
    `Patch queue at ${queue.now}${queue.policyVersion === undefined ? '' : ` (policy version ${queue.policyVersion})`}: ` +
    `${s.patches} patches, ${s.assetJobs} asset jobs, ${s.queued} findings queued, ${s.suppressed} suppressed, ` +
    `${s.withoutFix} without fix, ${s.predictedBreaches} predicted breaches\n`;
  const shown = queue.page
    ? queue.items.length === 0
      ? `no patches from rank ${first + 1} on\n`
      : `patches ${first + 1}-${first + queue.items.length} of ${queue.page.total}` +
        (queue.page.nextOffset === undefined
          ? '\n'
          : ` (next: --offset ${queue.page.nextOffset}, or --all)\n`)
    : '';
  const why = explain
    ? queue.items
        .map(
          (item, i) =>
            `\n${first + i + 1}. ${item.id}\n${item.explanation.map((l) => `   ${l}`).join('\n')}\n`,
        )
        .join('')
    : '';
  return head + shown + table + why;
}

function count(text: string, field: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw pwError('PW_ERR_USAGE', `--${field} must be a whole number from ${min} to ${max}, not ${text}`, {
      field,
    });
  }
  return value;
}

/** Every page of the server's queue, joined: the three paged lists end to end. */
async function wholeQueue(
  whole: QueueAnswer,
  read: (offset: number) => Promise<QueueAnswer>,
): Promise<QueueAnswer> {
  let next = whole.page?.nextOffset;
  while (next !== undefined) {
    const page = await read(next);
    whole.items.push(...page.items);
    whole.suppressed.push(...page.suppressed);
    whole.withoutFix.push(...page.withoutFix);
    next = page.page?.nextOffset;
  }
  const { page: _page, ...rest } = whole;
  return rest;
}

function instant(text: string | undefined): string {
  if (text === undefined) return new Date().toISOString();
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(ms)) {
    throw pwError('PW_ERR_USAGE', `--at must be an RFC 3339 instant, not ${text}`, { field: 'at' });
  }
  return new Date(ms).toISOString();
}

/**
 * `patchwarden queue`: the patch queue from the server, or with `--offline` computed directly from
 * a database (embedded or PostgreSQL) without a server, under its current policy or `--policy`.
 */
export function queueCommand() {
  return connectedCommand('queue')
    .description('The patch queue: what to patch, in which order, by when and in which window, and why')
    .option('--filter <filter>', 'only assets matching this asset filter (env:production team:web ...)')
    .option('--format <format>', 'table or json', 'table')
    .option('--explain', 'print every patch explanation under the table')
    .option('--at <instant>', 'compute the queue as of this RFC 3339 instant (default: now)')
    .option('--limit <n>', `patches per page, 1 to ${MAX_PAGE}`, '100')
    .option('--offset <n>', 'rank of the first patch shown, from 0', '0')
    .option('--all', 'every patch (reads every page)')
    .option('--offline', 'compute from the database directly, without a server')
    .option(
      '--store',
      'with --offline: read the local store (the default place, or --data-dir/--database-url)',
    )
    .option(
      '--data-dir <dir>',
      'with --offline: embedded database directory (default: $PATCHWARDEN_HOME/data)',
    )
    .option('--database-url <url>', 'with --offline: PostgreSQL server (default: $DATABASE_URL)')
    .option('--policy <file>', 'with --offline: evaluate this policy YAML instead of the stored one')
    .action(async (options, command) => {
      const format = parseOutputFormat(options.format, ['table', 'json']);
      const now = instant(options.at);
      const limit = count(options.limit, 'limit', 1, MAX_PAGE);
      const offset = count(options.offset, 'offset', 0, Number.MAX_SAFE_INTEGER);
      let queue: QueueAnswer;
      if (options.offline) {
        const policy = options.policy
          ? parsePolicyYaml(await readFile(options.policy, 'utf8'), options.policy)
          : undefined;
        const database = await openStore({
          ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
          ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
        });
        try {
          const whole = await new QueueService(database).queue({
            now,
            ...(options.filter === undefined ? {} : { filter: options.filter }),
            ...(policy === undefined ? {} : { policy }),
          });
          queue = options.all ? whole : pageOfQueue(whole, { offset, limit });
        } finally {
          await database.close();
        }
      } else {
        if (options.policy !== undefined || options.store) {
          throw pwError(
            'PW_ERR_USAGE',
            '--policy and --store need --offline (the server uses its own policy)',
            {
              field: 'policy',
            },
          );
        }
        // Every page after the first is computed at the first page's instant (the server's clock
        // unless --at is given), so that the pages join into one queue.
        const read = (
          client: Parameters<Parameters<typeof withClient>[1]>[0],
          at: string | undefined,
          from: number,
          size: number,
        ) =>
          client.get<QueueAnswer>('/queue', {
            filter: options.filter,
            at,
            limit: String(size),
            offset: String(from),
          });
        const requested = options.at === undefined ? undefined : now;
        queue = await withClient(command, async (client) => {
          if (!options.all) return read(client, requested, offset, limit);
          const first = await read(client, requested, 0, MAX_PAGE);
          return wholeQueue(first, (from) => read(client, first.now, from, MAX_PAGE));
        });
      }
      process.stdout.write(
        format === 'json' ? renderJson(queue) : renderQueueTable(queue, options.explain === true),
      );
    });
}
