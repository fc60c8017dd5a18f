import type { ScanResult } from '../scan/scan-result.ts';

const COLUMNS = [
  'host',
  'ecosystem',
  'package',
  'installed_version',
  'source_package',
  'vulnerability',
  'aliases',
  'severity',
  'cvss_score',
  'cvss_vector',
  'fixed_version',
  'kev',
  'epss',
  'cwes',
  'advisories',
  'location',
] as const;

/** RFC 4180 quoting; a leading = + - @ is neutralised so spreadsheets do not run it. */
function cell(value: unknown): string {
  let text = value === undefined || value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function renderCsv(result: ScanResult): string {
  const lines = [COLUMNS.join(',')];
  for (const { host, report } of result.hosts) {
    for (const f of report.findings) {
      const location = f.package.location
        ? `${f.package.location.file}${f.package.location.line ? `:${f.package.location.line}` : ''}`
        : '';
      lines.push(
        [
          host.name,
          f.package.ecosystem,
          f.package.name,
          f.package.version,
          f.package.sourceName,
          f.id,
          f.aliases.join(' '),
          f.severity,
          f.cvss?.baseScore,
          f.cvss?.vector,
          f.fixedVersion,
          f.kev ? f.kev.dateAdded : '',
          f.epss?.score,
          f.cwes.join(' '),
          f.evidence.map((e) => `${e.source}:${e.advisoryId}`).join(' '),
          location,
        ]
          .map(cell)
          .join(','),
      );
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}
