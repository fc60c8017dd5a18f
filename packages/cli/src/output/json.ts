import type { ScanResult } from '../scan/scan-result.ts';

/** The whole result, stable field names: the machine-readable contract of `scan`. */
export function renderJson(result: ScanResult): string {
  const hosts = result.hosts.map(({ host, report }) => ({
    name: host.name,
    os: host.os,
    osEcosystem: host.osEcosystem,
    files: host.files,
    facts: host.facts,
    packages: report.packages,
    distinctTuples: report.distinctTuples,
    unmatched: report.unmatched,
    warnings: host.warnings,
    findings: report.findings,
  }));
  const feeds = result.feeds.map((status) => ({ ...status, issues: status.issues.slice(0, 20) }));
  return `${JSON.stringify(
    { generatedAt: result.generatedAt, feeds, index: result.index, indexIssues: result.indexIssues, hosts },
    null,
    2,
  )}\n`;
}
