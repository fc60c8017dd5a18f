import { readFileSync } from 'node:fs';

export interface GoldenPackage {
  name: string;
  version: string;
  /** Where Trivy says the package's entry starts in the lockfile, when it says. */
  line?: number;
}

/**
 * Packages listed in one of Trivy's integration goldens (`*.json.golden`), without the project
 * itself (`Relationship: root`), so that a parser can be checked against Trivy's own reading.
 */
export function goldenPackages(path: string): GoldenPackage[] {
  const golden = JSON.parse(readFileSync(path, 'utf8')) as {
    Results: {
      Packages?: {
        Name: string;
        Version: string;
        Relationship?: string;
        Locations?: { StartLine: number }[];
      }[];
    }[];
  };
  return golden.Results.flatMap((r) => r.Packages ?? [])
    .filter((p) => p.Relationship !== 'root')
    .map((p) => {
      const line = p.Locations?.[0]?.StartLine;
      return line === undefined
        ? { name: p.Name, version: p.Version }
        : { name: p.Name, version: p.Version, line };
    });
}
