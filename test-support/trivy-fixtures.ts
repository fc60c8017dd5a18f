/**
 * Reads Trivy's integration-test advisory fixtures (its bolt DB dumped as YAML buckets) into our
 * advisory model, so that Trivy's expected findings (goldens) can be checked against our matcher
 * with exactly the advisory set Trivy used. Test support only: this is not a feed we import.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Advisory, AffectedPackage } from '@patchwarden/core';
import { semverExpressionToOsv } from '@patchwarden/core';

interface Bucket {
  bucket?: string;
  key?: string;
  pairs?: Bucket[];
  value?: Record<string, unknown>;
}

const ECOSYSTEMS: [RegExp, (m: RegExpMatchArray) => string][] = [
  [/^npm::/, () => 'npm'],
  [/^ubuntu (\d+\.\d+)$/, (m) => (/^\d*[02468]\.04$/.test(m[1]!) ? `Ubuntu:${m[1]}:LTS` : `Ubuntu:${m[1]}`)],
  [/^debian (\d+)$/, (m) => `Debian:${m[1]}`],
  [/^alpine (\d+\.\d+)$/, (m) => `Alpine:v${m[1]}`],
  [/^alma (\d+)$/, (m) => `AlmaLinux:${m[1]}`],
];

function ecosystemOf(bucket: string): string | undefined {
  for (const [pattern, name] of ECOSYSTEMS) {
    const match = bucket.match(pattern);
    if (match) return name(match);
  }
  return undefined;
}

export function loadTrivyAdvisories(fixtureDir: string, files: readonly string[]): Advisory[] {
  const severities = new Map<string, string>();
  const vulns = parse(readFileSync(join(fixtureDir, 'vulnerability.yaml'), 'utf8')) as Bucket[];
  for (const pair of vulns[0]?.pairs ?? []) severities.set(pair.key!, String(pair.value?.Severity ?? ''));

  const byId = new Map<string, Advisory>();
  for (const file of files) {
    for (const top of parse(readFileSync(join(fixtureDir, file), 'utf8')) as Bucket[]) {
      const ecosystem = ecosystemOf(top.bucket ?? '');
      if (!ecosystem) continue;
      for (const pkg of top.pairs ?? []) {
        for (const vuln of pkg.pairs ?? []) {
          const value = vuln.value ?? {};
          let affected: AffectedPackage;
          if (Array.isArray(value.VulnerableVersions)) {
            const { ranges, versions } = semverExpressionToOsv(
              (value.VulnerableVersions as string[]).join(' || '),
            );
            affected = { ecosystem, name: pkg.bucket!, ranges, versions };
          } else {
            const events = [
              { introduced: '0' },
              ...(value.FixedVersion ? [{ fixed: String(value.FixedVersion) }] : []),
            ];
            affected = {
              ecosystem,
              name: pkg.bucket!,
              ranges: [{ type: 'ECOSYSTEM', events }],
              versions: [],
            };
          }
          const id = vuln.key!;
          const key = `${ecosystem}/${id}`;
          const existing = byId.get(key);
          if (existing) {
            existing.affected.push(affected);
            continue;
          }
          byId.set(key, {
            id,
            aliases: [],
            related: [],
            source: `trivy-fixture:${ecosystem}`,
            modified: '2024-01-01T00:00:00Z',
            severity: [],
            cwes: [],
            affected: [affected],
            references: [],
            database_specific: { severity: severities.get(id)?.toLowerCase() },
          });
        }
      }
    }
  }
  return [...byId.values()];
}

export interface GoldenFinding {
  id: string;
  pkg: string;
  installed: string;
  fixed: string | undefined;
}

export function loadGolden(path: string): {
  os?: { Family: string; Name: string };
  findings: GoldenFinding[];
} {
  const golden = JSON.parse(readFileSync(path, 'utf8')) as {
    Metadata?: { OS?: { Family: string; Name: string } };
    Results?: {
      Vulnerabilities?: {
        VulnerabilityID: string;
        PkgName: string;
        InstalledVersion: string;
        FixedVersion?: string;
      }[];
    }[];
  };
  const findings = (golden.Results ?? []).flatMap((r) =>
    (r.Vulnerabilities ?? []).map((v) => ({
      id: v.VulnerabilityID,
      pkg: v.PkgName,
      installed: v.InstalledVersion,
      fixed: v.FixedVersion || undefined,
    })),
  );
  return { ...(golden.Metadata?.OS ? { os: golden.Metadata.OS } : {}), findings };
}
