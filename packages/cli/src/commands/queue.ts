import { readFile } from 'node:fs/promises';
import type { PatchQueue, PatchQueueItem } from '@patchwarden/core';
import { parsePolicyYaml, pwError } from '@patchwarden/core';
import { QueueService } from '@patchwarden/store';
import { connectedCommand, withClient } from '../api/api-command.ts';
import { parseOutputFormat, renderJson, renderTable } from '../api/render-records.ts';
import { openStore } from '../store/open-store.ts';

type QueueAnswer = PatchQueue & { policyVersion?: number };

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
  const rows = queue.items.map((item, index) => ({ item, rank: index + 1 }));
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
  const why = explain
    ? queue.items
        .map((item, i) => `\n${i + 1}. ${item.id}\n${item.explanation.map((l) => `   ${l}`).join('\n')}\n`)
        .join('')
    : '';
  return head + table + why;
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
          queue = await new QueueService(database).queue({
            now,
            ...(options.filter === undefined ? {} : { filter: options.filter }),
            ...(policy === undefined ? {} : { policy }),
          });
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
        queue = await withClient(command, (client) =>
          client.get<QueueAnswer>('/queue', {
            filter: options.filter,
            at: options.at === undefined ? undefined : now,
          }),
        );
      }
      process.stdout.write(
        format === 'json' ? renderJson(queue) : renderQueueTable(queue, options.explain === true),
      );
    });
}
