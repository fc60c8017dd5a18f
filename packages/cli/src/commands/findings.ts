import { pwError } from '@patchwarden/core';
import { connectedCommand, withClient } from '../api/api-command.ts';
import { parseOutputFormat, renderFields, renderJson, renderTable } from '../api/render-records.ts';
import { listAll } from './assets.ts';

interface ApiFinding {
  id: number;
  assetId: string;
  finding: {
    id: string;
    severity: string;
    package: { name: string; version: string };
    fixedVersion?: string;
    kev?: unknown;
    [key: string]: unknown;
  };
  status: string;
  statusReason?: string;
  firstSeen: string;
  policy?: { suppressed: boolean; due?: string; slaStatus?: string; exceptions: { id: string }[] };
  [key: string]: unknown;
}

const SUPPRESSED = ['exclude', 'include', 'only'];

/** STATUS as policy sees it: an open finding an exception covers reads "suppressed (EXC-1)". */
function statusOf(finding: ApiFinding): string {
  if (finding.policy?.suppressed) {
    return `suppressed (${finding.policy.exceptions.map((e) => e.id).join(', ')})`;
  }
  return finding.status;
}

const SETTABLE = ['open', 'risk-accepted', 'false-positive'];

/** `patchwarden findings list|set-status` over the API. */
export function findingsCommand() {
  const findings = connectedCommand('findings').description(
    'Findings (vulnerabilities on assets) on the server',
  );

  findings
    .command('list')
    .description('List findings')
    .option('--asset <id>', 'only this asset')
    .option('--status <status>', 'open, fixed, risk-accepted or false-positive')
    .option('--severity <severity>', 'critical, high, medium, low, negligible or unknown')
    .option('--vulnerability <id>', 'only this vulnerability (CVE-..., GHSA-...)')
    .option(
      '--suppressed <mode>',
      'open findings an exception suppresses: exclude (default), include or only',
      'exclude',
    )
    .option('--limit <n>', 'at most this many findings', '1000')
    .option('--format <format>', 'table or json', 'table')
    .action(async (options, command) => {
      const format = parseOutputFormat(options.format);
      if (!SUPPRESSED.includes(options.suppressed)) {
        throw pwError('PW_ERR_USAGE', `--suppressed must be one of ${SUPPRESSED.join(', ')}`, {
          field: 'suppressed',
        });
      }
      await withClient(command, async (client) => {
        const items = await listAll<ApiFinding>(
          client,
          '/findings',
          {
            asset: options.asset,
            status: options.status,
            severity: options.severity,
            vulnerability: options.vulnerability,
            suppressed: options.suppressed,
          },
          Number(options.limit),
        );
        if (format === 'json') {
          process.stdout.write(renderJson(items));
          return;
        }
        process.stdout.write(
          renderTable(items, [
            { header: 'ID', value: (f) => f.id },
            { header: 'ASSET', value: (f) => f.assetId, max: 36 },
            { header: 'VULNERABILITY', value: (f) => f.finding.id, max: 24 },
            { header: 'SEVERITY', value: (f) => f.finding.severity },
            { header: 'PACKAGE', value: (f) => f.finding.package.name, max: 28 },
            { header: 'INSTALLED', value: (f) => f.finding.package.version, max: 24 },
            { header: 'FIXED IN', value: (f) => f.finding.fixedVersion, max: 24 },
            { header: 'DUE', value: (f) => f.policy?.due?.slice(0, 10) },
            { header: 'SLA', value: (f) => f.policy?.slaStatus },
            { header: 'STATUS', value: statusOf, max: 40 },
          ]),
        );
        process.stderr.write(`${items.length} findings\n`);
      });
    });

  findings
    .command('set-status')
    .description('Accept a risk, mark a false positive, or reopen a finding (audited, with a reason)')
    .argument('<id>', 'finding id')
    .requiredOption('--status <status>', SETTABLE.join(', '))
    .requiredOption('--reason <text>', 'why (kept in the audit log)')
    .option('--format <format>', 'table or json', 'table')
    .action(async (id, options, command) => {
      const format = parseOutputFormat(options.format);
      if (!SETTABLE.includes(options.status)) {
        throw pwError('PW_ERR_USAGE', `--status must be one of ${SETTABLE.join(', ')}`, { field: 'status' });
      }
      await withClient(command, async (client) => {
        const finding = await client.request<ApiFinding>('PATCH', `/findings/${encodeURIComponent(id)}`, {
          body: { status: options.status, reason: options.reason },
        });
        process.stdout.write(format === 'json' ? renderJson(finding) : renderFields(finding));
      });
    });

  return findings;
}
