import type { Finding } from '@patchwarden/core';
import type { ScanResult } from '../scan/scan-result.ts';

/** A rough numeric severity for a finding without CVSS, as GitHub code scanning expects. */
const SEVERITY_SCORE: Record<Finding['severity'], string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '2.0',
  negligible: '0.5',
  unknown: '0.0',
};

function level(finding: Finding): 'error' | 'warning' | 'note' {
  if (finding.severity === 'critical' || finding.severity === 'high') return 'error';
  return finding.severity === 'medium' ? 'warning' : 'note';
}

function helpUri(id: string): string {
  return id.startsWith('CVE-')
    ? `https://nvd.nist.gov/vuln/detail/${id}`
    : `https://osv.dev/vulnerability/${encodeURIComponent(id)}`;
}

/** SARIF 2.1.0: one rule per vulnerability (ruleId = its id), one result per affected package. */
export function renderSarif(result: ScanResult): string {
  const rules = new Map<string, object>();
  const results: object[] = [];
  for (const { host, report } of result.hosts) {
    for (const f of report.findings) {
      if (!rules.has(f.id)) {
        rules.set(f.id, {
          id: f.id,
          name: f.id,
          shortDescription: { text: f.summary ?? f.id },
          fullDescription: { text: f.summary ?? `${f.id} affects ${f.package.name}` },
          helpUri: helpUri(f.id),
          help: { text: `Known as: ${[f.id, ...f.aliases].join(', ')}` },
          properties: {
            'security-severity': f.cvss ? f.cvss.baseScore.toFixed(1) : SEVERITY_SCORE[f.severity],
            tags: ['security', 'vulnerability', ...f.cwes],
          },
        });
      }
      const file = f.package.location?.file ?? host.files[0] ?? host.name;
      const physicalLocation: Record<string, unknown> = { artifactLocation: { uri: file } };
      if (f.package.location?.line !== undefined)
        physicalLocation.region = { startLine: f.package.location.line };
      results.push({
        ruleId: f.id,
        level: level(f),
        message: {
          text:
            `${f.package.name} ${f.package.version} is affected by ${f.id} (${f.severity})` +
            (f.fixedVersion ? `; fixed in ${f.fixedVersion}` : '; no fix published'),
        },
        locations: [{ physicalLocation }],
        partialFingerprints: {
          packageVulnerability: `${host.name}|${f.package.ecosystem}|${f.package.name}|${f.id}`,
        },
        properties: {
          host: host.name,
          ecosystem: f.package.ecosystem,
          package: f.package.name,
          installedVersion: f.package.version,
          fixedVersion: f.fixedVersion,
          severity: f.severity,
          cvss: f.cvss,
          kev: f.kev,
          epss: f.epss,
          evidence: f.evidence,
        },
      });
    }
  }
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'Patchwarden',
            informationUri: 'https://github.com/patchwarden/patchwarden',
            version: '0.1.0',
            rules: [...rules.values()],
          },
        },
        results,
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
