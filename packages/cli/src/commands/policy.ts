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

/** `patchwarden policy apply|export|what-if|history`: the versioned patch policy on the server. */
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

  return policy;
}
