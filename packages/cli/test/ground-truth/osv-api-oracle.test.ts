/**
 * osv.dev's own answers (recorded by osv-scanner's test cassettes) as an oracle: for the Go and
 * PyPI queries, every id osv.dev returned that exists in our snapshot of the Go and PyPA OSV
 * databases must be matched by us (recall). The cassettes and our snapshots were taken on
 * different days, so we may also report advisories osv.dev did not know yet or had not widened
 * yet; those are printed, with the count, not hidden.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AdvisoryIndex, matchPackages } from '@patchwarden/core';
import { IntelStore, importFeeds } from '@patchwarden/feeds';
import { sharedDataPath } from '../../../../test-support/shared-data.ts';

const cassettes = sharedDataPath('ground-truth/osv-scanner-cassettes/osv-api-querybatch-pairs.jsonl');
const feeds = {
  Go: sharedDataPath('osv-go/golang-vulndb-osv.jsonl'),
  PyPI: sharedDataPath('osv-pypi/pypa-advisory-database-osv.jsonl'),
};

interface Query {
  ecosystem: string;
  name: string;
  version: string | null;
  vuln_ids: string[];
}

describe.skipIf(!cassettes || !feeds.Go || !feeds.PyPI)('osv.dev recorded answers (Go, PyPI)', () => {
  it.each(['Go', 'PyPI'] as const)(
    '%s: every id osv.dev returned (and we hold) is matched',
    async (ecosystem) => {
      const store = new IntelStore();
      await importFeeds(store, [feeds[ecosystem]!]);
      const advisories = [...store.advisories()];
      const known = new Set(advisories.map((a) => a.id));
      const index = AdvisoryIndex.from(advisories);

      const queries = readFileSync(cassettes!, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Query)
        .filter((q) => q.ecosystem === ecosystem && q.version);
      const seen = new Set<string>();
      const missing: string[] = [];
      const extra: string[] = [];
      for (const query of queries) {
        const key = `${query.name}@${query.version}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const version =
          ecosystem === 'Go' && !query.version!.startsWith('v') ? `v${query.version}` : query.version!;
        const report = matchPackages(
          [
            {
              ecosystem,
              name: query.name,
              version,
              kind: 'language',
              packageManager: ecosystem === 'Go' ? 'go' : 'pypi',
            },
          ],
          index,
        );
        const ours = new Set(report.findings.flatMap((f) => f.evidence.map((e) => e.advisoryId)));
        const theirs = new Set(query.vuln_ids.filter((id) => known.has(id)));
        for (const id of theirs) if (!ours.has(id)) missing.push(`${key} ${id}`);
        for (const id of ours) if (!theirs.has(id)) extra.push(`${key} ${id}`);
      }
      const returned = queries.reduce((n, q) => n + q.vuln_ids.filter((id) => known.has(id)).length, 0);
      console.log(
        `${ecosystem}: ${seen.size} distinct queries, ${returned} ids returned by osv.dev, ${missing.length} missed, ` +
          `${extra.length} reported beyond osv.dev's answer (data newer than the recording): ${extra.slice(0, 8).join(', ')}`,
      );
      expect(seen.size).toBeGreaterThan(15);
      expect(returned).toBeGreaterThan(50);
      expect(missing).toEqual([]);
    },
  );
});
