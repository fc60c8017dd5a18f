/**
 * Feed import throughput on real data (npm run bench:feeds): records/s and MB/s per feed, plus
 * the time to index every advisory for matching.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { AdvisoryIndex } from '@patchwarden/core';
import { IntelStore, importFeeds } from '@patchwarden/feeds';
import { sharedDataPath } from '../test-support/shared-data.ts';

const data = sharedDataPath('');
if (!data) {
  console.log('bench:feeds SKIPPED: ../shared/data is absent (set PATCHWARDEN_SHARED_DATA)');
  process.exit(0);
}
const store = new IntelStore();
for (const dir of [
  'osv-distro',
  'osv-go',
  'osv-pypi',
  'osv-npm',
  'advisories-debian',
  'advisories-alpine',
  'advisories-ubuntu-uct',
  'kev',
  'epss',
  'nvd',
  'cve5',
  'cwe',
]) {
  const started = performance.now();
  const statuses = await importFeeds(store, [join(data, dir)]);
  const seconds = (performance.now() - started) / 1000;
  const records = statuses.reduce((n, s) => n + s.records, 0);
  const bytes = statuses.reduce((n, s) => n + statSync(s.path).size, 0);
  const skipped = statuses.reduce((n, s) => n + s.skipped, 0);
  console.log(
    `${dir.padEnd(22)} ${String(records).padStart(7)} records ${String(skipped).padStart(5)} skipped ` +
      `${seconds.toFixed(2).padStart(6)} s  ${Math.round(records / seconds)
        .toLocaleString('en-US')
        .padStart(9)} rec/s  ${(bytes / 1e6 / seconds).toFixed(1)} MB/s`,
  );
}
const started = performance.now();
const index = AdvisoryIndex.from(store.advisories());
console.log(
  `index: ${index.stats().entries} affected entries in ${(performance.now() - started).toFixed(0)} ms`,
);
console.log(`peak RSS: ${Math.round((process.resourceUsage().maxRSS * 1024) / 1e6)} MB`);
