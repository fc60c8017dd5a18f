import { readFile, writeFile } from 'node:fs/promises';
import type { WhatIfResult } from '@patchwarden/core';
import { pwError } from '@patchwarden/core';
import { connectedCommand, withClient } from '../api/api-command.ts';
import { parseOutputFormat, renderJson, renderTable } from '../api/render-records.ts';

interface VersionSummary {
  version: number;
  name: string;
  createdAt: string;
  createdBy: string;
  comment?: string;
}

interface ListedException {
  id: string;
  kind?: string;
  scope: { assets?: string; packages?: string[]; vulnerabilities?: string[] };
  reason: string;
  approver: string;
  createdAt: string;
  expiresAt: string;
  renewals?: number;
  state: string;
  daysLeft: number;
}

interface ListedEmergency {
  id: string;
  cve?: string;
  patch?: { ecosystem?: string; package: string; fixedVersion?: string };
  declaredAt: string;
  declaredBy?: string;
  deadlineHours: number;
  overrideWindows: boolean;
  reason: string;
  liftedAt?: string;
  state: string;
  deadline: string;
}

function scopeText(scope: ListedException['scope']): string {
  return [
    scope.assets === undefined ? undefined : `assets ${scope.assets}`,
    scope.packages === undefined ? undefined : `packages ${scope.packages.join(',')}`,
    scope.vulnerabilities === undefined ? undefined : `vulns ${scope.vulnerabilities.join(',')}`,
  ]
    .filter(Boolean)
    .join('; ');
}

function list(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}

type WhatIfAnswer = Omit<WhatIfResult, 'before' | 'after'> & { policyVersion: number };

async function readPolicyFile(file: string | undefined): Promise<string> {
  if (file === undefined)
    throw pwError('PW_ERR_USAGE', 'Name the policy file with -f <file>', { field: 'file' });
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw pwError('PW_ERR_FILE_NOT_FOUND', `Cannot read ${file}`, { file }, error);
  }
}

function yamlBody(yaml: string, file: string, comment?: string) {
  return { yaml, file, ...(comment === undefined ? {} : { comment }) };
}

export function renderWhatIf(result: WhatIfAnswer): string {
  const s = result.summary;
  const lines = [
    `What-if against policy version ${result.policyVersion}: ${s.patchesBefore} -> ${s.patchesAfter} patches; ` +
      `due earlier ${s.dueEarlier}, later ${s.dueLater}, unchanged ${s.dueUnchanged}; window changed ${s.windowChanged}; ` +
      `predicted breaches ${s.predictedBreachesBefore} -> ${s.predictedBreachesAfter} ` +
      `(+${s.breachesAdded}, -${s.breachesResolved}); suppressed ${s.suppressedBefore} -> ${s.suppressedAfter}`,
  ];
  const changed = result.patches.filter(
    (p) =>
      p.presence !== 'both' ||
      p.dueBefore !== p.dueAfter ||
      p.windowBefore !== p.windowAfter ||
      p.assets.length > 0,
  );
  const table = renderTable(changed, [
    { header: 'PATCH', value: (p) => p.id, max: 60 },
    { header: 'PRESENCE', value: (p) => p.presence },
    { header: 'DUE BEFORE', value: (p) => p.dueBefore },
    { header: 'DUE AFTER', value: (p) => p.dueAfter },
    { header: 'SHIFT H', value: (p) => p.dueShiftHours },
    { header: 'WINDOW AFTER', value: (p) => p.windowAfter, max: 45 },
    { header: 'BREACHES', value: (p) => `${p.breachesBefore} -> ${p.breachesAfter}` },
  ]);
  return `${lines.join('\n')}\n${changed.length === 0 ? 'No patch changes.\n' : table}`;
}

/** `patchwarden policy apply|export|what-if|history|exceptions|emergency`: the versioned patch policy on the server. */
export function policyCommand() {
  const policy = connectedCommand('policy').description('The patch policy: apply, export, simulate, history');

  policy
    .command('apply')
    .description(
      'Validate a policy YAML file and save it as the next version (refused as a whole on any error)',
    )
    .option('-f, --file <file>', 'policy YAML file')
    .option('-m, --comment <text>', 'why this change (kept in the history)')
    .action(async (options, command) => {
      const yaml = await readPolicyFile(options.file);
      const answer = await withClient(command, (client) =>
        client.request<{ version: number }>('PUT', '/policy', {
          body: yamlBody(yaml, options.file as string, options.comment),
        }),
      );
      process.stdout.write(`Policy applied from ${options.file}: version ${answer.version}\n`);
    });

  policy
    .command('export')
    .description('Print (or write) the current policy, or one version, as YAML')
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .option('--revision <n>', 'this saved version instead of the current one')
    .action(async (options, command) => {
      const path =
        options.revision === undefined
          ? '/policy'
          : `/policy/versions/${encodeURIComponent(options.revision)}`;
      const text = await withClient(command, async (client) => {
        const response = await client.send('GET', path, {
          query: { format: 'yaml' },
          headers: { accept: 'text/yaml' },
        });
        return response.text();
      });
      if (options.output) {
        await writeFile(options.output, text);
        process.stderr.write(`Policy written to ${options.output}\n`);
      } else {
        process.stdout.write(text);
      }
    });

  policy
    .command('what-if')
    .description(
      'What a proposed policy would change: due dates, windows, window load, breaches (nothing saved)',
    )
    .option('-f, --file <file>', 'proposed policy YAML file')
    .option('--filter <filter>', 'only assets matching this asset filter')
    .option('--format <format>', 'table or json', 'table')
    .action(async (options, command) => {
      const format = parseOutputFormat(options.format, ['table', 'json']);
      const yaml = await readPolicyFile(options.file);
      const result = await withClient(command, (client) =>
        client.request<WhatIfAnswer>('POST', '/policy/what-if', {
          query: { filter: options.filter },
          body: yamlBody(yaml, options.file as string),
        }),
      );
      process.stdout.write(format === 'json' ? renderJson(result) : renderWhatIf(result));
    });

  policy
    .command('history')
    .description('Every saved version of the policy, newest first')
    .option('--format <format>', 'table or json', 'table')
    .action(async (options, command) => {
      const format = parseOutputFormat(options.format, ['table', 'json']);
      const { items } = await withClient(command, (client) =>
        client.get<{ items: VersionSummary[] }>('/policy/versions'),
      );
      process.stdout.write(
        format === 'json'
          ? renderJson(items)
          : renderTable(items, [
              { header: 'VERSION', value: (v) => v.version },
              { header: 'NAME', value: (v) => v.name },
              { header: 'CREATED', value: (v) => v.createdAt },
              { header: 'BY', value: (v) => v.createdBy },
              { header: 'COMMENT', value: (v) => v.comment, max: 60 },
            ]),
      );
    });

  const exceptions = policy
    .command('exceptions')
    .description('Exceptions and deferrals: list, grant (you approve), renew');

  exceptions
    .command('list')
    .description("The current policy's exceptions and where each stands")
    .option('--state <state>', 'active, expired or upcoming')
    .option('--format <format>', 'table or json', 'table')
    .action(async (options, command) => {
      const format = parseOutputFormat(options.format, ['table', 'json']);
      const answer = await withClient(command, (client) =>
        client.get<{ policyVersion: number; items: ListedException[] }>('/policy/exceptions', {
          state: options.state,
        }),
      );
      process.stdout.write(
        format === 'json'
          ? renderJson(answer)
          : renderTable(answer.items, [
              { header: 'ID', value: (e) => e.id },
              { header: 'KIND', value: (e) => e.kind ?? 'exception' },
              { header: 'STATE', value: (e) => e.state },
              { header: 'EXPIRES', value: (e) => e.expiresAt },
              { header: 'DAYS LEFT', value: (e) => e.daysLeft },
              { header: 'RENEWED', value: (e) => e.renewals ?? 0 },
              { header: 'APPROVER', value: (e) => e.approver },
              { header: 'SCOPE', value: (e) => scopeText(e.scope), max: 60 },
            ]),
      );
    });

  exceptions
    .command('grant')
    .description('Grant an exception or deferral; saved as a new policy version with you as approver')
    .argument('<id>', 'exception id (EXC-...)')
    .requiredOption('--reason <text>', 'why the risk is accepted or patching deferred')
    .requiredOption('--expires <instant>', 'RFC 3339 instant it lapses (the finding reopens then)')
    .option('--packages <globs>', 'package globs, comma-separated', list)
    .option('--vulnerabilities <ids>', 'CVE or advisory ids, comma-separated', list)
    .option('--assets <filter>', 'asset filter (env:production name:db-*)')
    .option('--control <text>', 'the compensating control (required for an exception)')
    .option('--deferral', 'a deferral (patching postponed) rather than an accepted risk')
    .option('--max-renewals <n>', 'renewals allowed (default 2)')
    .option('--format <format>', 'table or json', 'table')
    .action(async (id, options, command) => {
      const format = parseOutputFormat(options.format, ['table', 'json']);
      const body = {
        id,
        ...(options.deferral ? { kind: 'deferral' } : {}),
        scope: {
          ...(options.assets === undefined ? {} : { assets: options.assets }),
          ...(options.packages === undefined ? {} : { packages: options.packages }),
          ...(options.vulnerabilities === undefined ? {} : { vulnerabilities: options.vulnerabilities }),
        },
        reason: options.reason,
        ...(options.control === undefined ? {} : { compensatingControl: options.control }),
        expiresAt: options.expires,
        ...(options.maxRenewals === undefined ? {} : { maxRenewals: Number(options.maxRenewals) }),
      };
      const answer = await withClient(command, (client) =>
        client.request<{ policyVersion: number; exception: ListedException }>('POST', '/policy/exceptions', {
          body,
        }),
      );
      process.stdout.write(
        format === 'json'
          ? renderJson(answer)
          : `Granted ${answer.exception.id} until ${answer.exception.expiresAt} (policy version ${answer.policyVersion})\n`,
      );
    });

  exceptions
    .command('renew')
    .description('Renew an exception before it lapses; you approve the renewal')
    .argument('<id>', 'exception id')
    .requiredOption('--expires <instant>', 'new RFC 3339 expiry (at most one term later)')
    .option('--comment <text>', 'kept with the new policy version')
    .option('--format <format>', 'table or json', 'table')
    .action(async (id, options, command) => {
      const format = parseOutputFormat(options.format, ['table', 'json']);
      const answer = await withClient(command, (client) =>
        client.request<{ policyVersion: number; exception: ListedException }>(
          'POST',
          `/policy/exceptions/${encodeURIComponent(id)}/renew`,
          { body: { expiresAt: options.expires, ...(options.comment ? { comment: options.comment } : {}) } },
        ),
      );
      process.stdout.write(
        format === 'json'
          ? renderJson(answer)
          : `Renewed ${answer.exception.id} until ${answer.exception.expiresAt}, renewal ${answer.exception.renewals ?? 0} ` +
              `(policy version ${answer.policyVersion})\n`,
      );
    });

  const emergency = policy
    .command('emergency')
    .description('Emergencies: declare one for a CVE or a patch (enforced with no opt-out), lift, list');

  emergency
    .command('list')
    .description("The current policy's emergencies, in force or not")
    .option('--format <format>', 'table or json', 'table')
    .action(async (options, command) => {
      const format = parseOutputFormat(options.format, ['table', 'json']);
      const answer = await withClient(command, (client) =>
        client.get<{ policyVersion: number; items: ListedEmergency[] }>('/policy/emergencies'),
      );
      process.stdout.write(
        format === 'json'
          ? renderJson(answer)
          : renderTable(answer.items, [
              { header: 'ID', value: (e) => e.id },
              { header: 'STATE', value: (e) => e.state },
              {
                header: 'FOR',
                value: (e) =>
                  e.cve ?? `${e.patch?.package}${e.patch?.fixedVersion ? `@${e.patch.fixedVersion}` : ''}`,
                max: 40,
              },
              { header: 'DECLARED', value: (e) => e.declaredAt },
              { header: 'DEADLINE', value: (e) => e.deadline },
              { header: 'WINDOWS', value: (e) => (e.overrideWindows ? 'overridden' : 'kept') },
              { header: 'BY', value: (e) => e.declaredBy },
              { header: 'REASON', value: (e) => e.reason, max: 50 },
            ]),
      );
    });

  emergency
    .command('declare')
    .description('Declare an emergency: deadlines compress, exceptions and accepted risks stop applying')
    .argument('<id>', 'emergency id (EMG-...)')
    .option('--cve <id>', 'the vulnerability (CVE or any alias)')
    .option('--package <name>', 'or the patch: this package ...')
    .option('--ecosystem <ecosystem>', '... in this ecosystem ...')
    .option('--fixed-version <version>', '... up to this version')
    .requiredOption('--deadline-hours <n>', 'hours from the declaration by which it must be fixed')
    .option('--override-windows', 'patch at once, outside maintenance windows')
    .requiredOption('--reason <text>', 'why (kept with the policy version and the audit log)')
    .option('--format <format>', 'table or json', 'table')
    .action(async (id, options, command) => {
      const format = parseOutputFormat(options.format, ['table', 'json']);
      if ((options.cve === undefined) === (options.package === undefined)) {
        throw pwError('PW_ERR_USAGE', 'Name either --cve or --package', { field: 'cve' });
      }
      const hours = Number(options.deadlineHours);
      if (!Number.isFinite(hours) || hours <= 0) {
        throw pwError(
          'PW_ERR_USAGE',
          `--deadline-hours must be a positive number, not ${options.deadlineHours}`,
          {
            field: 'deadline-hours',
          },
        );
      }
      const body = {
        id,
        ...(options.cve === undefined ? {} : { cve: options.cve }),
        ...(options.package === undefined
          ? {}
          : {
              patch: {
                package: options.package,
                ...(options.ecosystem === undefined ? {} : { ecosystem: options.ecosystem }),
                ...(options.fixedVersion === undefined ? {} : { fixedVersion: options.fixedVersion }),
              },
            }),
        deadlineHours: hours,
        overrideWindows: options.overrideWindows === true,
        reason: options.reason,
      };
      const answer = await withClient(command, (client) =>
        client.request<{ policyVersion: number; emergency: ListedEmergency }>('POST', '/policy/emergencies', {
          body,
        }),
      );
      process.stdout.write(
        format === 'json'
          ? renderJson(answer)
          : `Declared ${answer.emergency.id}: fix by ${answer.emergency.deadline} (policy version ${answer.policyVersion})\n`,
      );
    });

  emergency
    .command('lift')
    .description('Call an emergency off')
    .argument('<id>', 'emergency id')
    .option('--at <instant>', 'RFC 3339 instant it stops applying (default: now)')
    .option('--comment <text>', 'kept with the new policy version')
    .option('--format <format>', 'table or json', 'table')
    .action(async (id, options, command) => {
      const format = parseOutputFormat(options.format, ['table', 'json']);
      const answer = await withClient(command, (client) =>
        client.request<{ policyVersion: number; emergency: ListedEmergency }>(
          'POST',
          `/policy/emergencies/${encodeURIComponent(id)}/lift`,
          {
            body: {
              ...(options.at === undefined ? {} : { liftedAt: options.at }),
              ...(options.comment === undefined ? {} : { comment: options.comment }),
            },
          },
        ),
      );
      process.stdout.write(
        format === 'json'
          ? renderJson(answer)
          : `Lifted ${answer.emergency.id} at ${answer.emergency.liftedAt} (policy version ${answer.policyVersion})\n`,
      );
    });

  return policy;
}
