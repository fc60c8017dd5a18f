import type { Finding } from '@patchwarden/core';
import { SEVERITY_RANK } from '@patchwarden/core';
import type { ScanResult } from '../scan/scan-result.ts';

function pad(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

function bySeverity(a: Finding, b: Finding): number {
  return (
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    (b.cvss?.baseScore ?? 0) - (a.cvss?.baseScore ?? 0) ||
    a.package.name.localeCompare(b.package.name) ||
    a.id.localeCompare(b.id)
  );
}

/** A readable summary per host: counts, then one row per finding, worst first. */
export function renderTable(result: ScanResult): string {
  const out: string[] = [];
  for (const { host, report } of result.hosts) {
    const counts = new Map<string, number>();
    for (const f of report.findings) counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
    const summary = ['critical', 'high', 'medium', 'low', 'negligible', 'unknown']
      .filter((s) => counts.has(s))
      .map((s) => `${s}: ${counts.get(s)}`)
      .join(', ');
    out.push(
      `${host.name}${host.osEcosystem ? ` (${host.osEcosystem})` : ''}: ${report.packages} packages, ` +
        `${report.findings.length} findings${summary ? ` (${summary})` : ''}`,
    );
    for (const warning of host.warnings) out.push(`  warning: ${warning}`);
    for (const group of report.unmatched) {
      const why = {
        'no-ecosystem': 'ecosystem unknown',
        'no-version-order': 'no version order for this ecosystem',
        'no-advisories': 'no advisories loaded for this ecosystem',
        'invalid-version': 'invalid version',
      }[group.reason];
      out.push(
        `  not covered: ${group.packages} ${group.ecosystem} packages: ${why} (e.g. ${group.examples[0]})`,
      );
    }
    if (report.findings.length === 0) {
      out.push('');
      continue;
    }
    out.push(
      `  ${pad('PACKAGE', 28)} ${pad('INSTALLED', 22)} ${pad('VULNERABILITY', 20)} ${pad('SEVERITY', 9)} ${pad('FIXED IN', 22)} FLAGS`,
    );
    for (const f of [...report.findings].sort(bySeverity)) {
      const flags = [
        f.kev ? 'KEV' : '',
        f.epss ? `EPSS ${(f.epss.score * 100).toFixed(1)}%` : '',
        f.cvss ? `CVSS ${f.cvss.baseScore}` : '',
      ]
        .filter(Boolean)
        .join(' ');
      out.push(
        `  ${pad(f.package.name, 28)} ${pad(f.package.version, 22)} ${pad(f.id, 20)} ${pad(f.severity, 9)} ${pad(f.fixedVersion ?? '(no fix)', 22)} ${flags}`,
      );
    }
    out.push('');
  }
  return `${out.join('\n')}\n`;
}
