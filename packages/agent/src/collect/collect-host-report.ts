import type { HostReport } from '@patchwarden/core';
import type { CollectOptions } from './collect-options.ts';
import { collectFacts } from './host-facts.ts';
import { findLockfiles, parseLockfiles } from './lockfiles.ts';
import { collectOsPackages } from './os-packages.ts';
import { readOsRelease } from './os-release.ts';

export interface CollectedReport {
  report: HostReport;
  /** Files and commands whose packages are in the report. */
  sources: string[];
  /** Everything skipped and why; collection itself never fails on one bad input. */
  warnings: string[];
}

/** One collection of this host: facts, OS packages and the lockfiles under the configured paths. */
export async function collectHostReport(
  options: CollectOptions,
  now: Date = new Date(),
): Promise<CollectedReport> {
  const osRelease = await readOsRelease(options.osReleasePaths);
  const facts = await collectFacts(options, osRelease.os);
  const osPackages = await collectOsPackages(options);
  const lockfiles = await findLockfiles(options.lockfilePaths, options.lockfileMaxDepth);
  const parsedLockfiles = await parseLockfiles(lockfiles.files);
  const fragments = [...osPackages.fragments, ...parsedLockfiles.fragments];
  return {
    report: {
      facts: facts.facts,
      os: osRelease.os,
      packages: fragments.flatMap((f) => f.packages),
      collectedAt: now.toISOString(),
    },
    sources: fragments.map((f) => f.file),
    warnings: [
      ...osRelease.warnings,
      ...facts.warnings,
      ...osPackages.warnings,
      ...lockfiles.warnings,
      ...parsedLockfiles.warnings,
    ],
  };
}
