/**
 * Store benchmark on real data (npx tsx bench/store.bench.ts), on both backends.
 *
 * Reads the whole Go vulnerability database (../shared/data/osv-go, 4,291 OSV records) with
 * readline + JSON.parse, normalises it with the feeds' OSV normaliser, and times: first import,
 * re-import (all unchanged), re-import of newer copies (all updated: key rows rebuilt), streaming
 * read, package and alias lookups. Then loads an IntelLookup from the real KEV catalogue and
 * SYNTHETIC EPSS scores at full scale (EPSS_ROWS, default 300,000; the real daily file is not in
 * ../shared/data) and prints its heap cost.
 *
 *   PATCHWARDEN_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/store.bench.ts
 *   BACKENDS=embedded EPSS_ROWS=300000 SCALE=1 node --expose-gc --import tsx bench/store.bench.ts
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Advisory, EpssScore, KevEntry } from '@patchwarden/core';
import { ALL_READERS, detectFeed } from '@patchwarden/feeds';
import { IntelRepository, openDatabase } from '@patchwarden/store';
import type { DatabaseKind } from '@patchwarden/store';
import { normaliseOsv } from '../packages/feeds/src/osv/osv-normalise.ts';
import { freshTarget } from '../packages/store/src/testing/test-database.ts';
import { sharedDataPath } from '../test-support/shared-data.ts';

const BACKENDS = (process.env.BACKENDS ?? 'embedded,postgres').split(',') as DatabaseKind[];
const EPSS_ROWS = Number(process.env.EPSS_ROWS ?? 300_000);
/** SCALE > 1 adds renamed copies of every Go record (ids suffixed), to see how imports scale. */
const SCALE = Number(process.env.SCALE ?? 1);

async function readGo(path: string): Promise<Advisory[]> {
  const advisories: Advisory[] = [];
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    const result = normaliseOsv(JSON.parse(text));
    if (!result.ok) throw new Error(`${path}:${line}: ${result.message}`);
    advisories.push(result.advisory);
  }
  return advisories;
}

function scaled(advisories: Advisory[]): Advisory[] {
  const out = [...advisories];
  for (let copy = 1; copy < SCALE; copy++) {
    for (const advisory of advisories) out.push({ ...advisory, id: `${advisory.id}-COPY${copy}` });
  }
  return out;
}

function rate(count: number, millis: number): string {
  return `${Math.round((count / millis) * 1000).toLocaleString('en')} /s (${(millis / 1000).toFixed(2)} s)`;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

function syntheticEpss(rows: number): EpssScore[] {
  // SYNTHETIC: ids and scores are made up; only the shape and the row count are EPSS's.
  const scores: EpssScore[] = [];
  for (let i = 0; i < rows; i++) {
    const score = ((i * 7919) % 100_000) / 100_000;
    scores.push({
      cveId: `CVE-${1999 + (i % 27)}-${100000 + i}`,
      epss: score,
      percentile: score,
      date: '2026-11-20',
      modelVersion: 'v2025.03.14',
    });
  }
  return scores;
}

async function readKev(): Promise<KevEntry[]> {
  const path = sharedDataPath('kev/known_exploited_vulnerabilities.json');
  if (!path) return [];
  const reader = await detectFeed(path, ALL_READERS);
  const entries: KevEntry[] = [];
  for await (const record of reader!.read(path)) if (record.kind === 'kev') entries.push(record.entry);
  return entries;
}

function heapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

async function benchBackend(
  backend: DatabaseKind,
  go: Advisory[],
  kev: KevEntry[],
  epss: EpssScore[],
): Promise<void> {
  const target = await freshTarget(backend);
  try {
    const [database, openMs] = await timed(() => openDatabase(target.options));
    const repository = new IntelRepository(database);
    const n = go.length;
    console.log(`\n## ${backend} (${target.name})`);
    console.log(`open + migrate: ${(openMs / 1000).toFixed(2)} s`);
    try {
      const [first, insertMs] = await timed(() => repository.upsertAdvisories(go));
      console.log(`insert ${n}: ${rate(n, insertMs)}`, first);
      const [again, againMs] = await timed(() => repository.upsertAdvisories(go));
      console.log(`re-import unchanged: ${rate(n, againMs)}`, again);
      const newer = go.map((a) => ({ ...a, modified: '2026-11-20T00:00:00Z' }));
      const [updated, updateMs] = await timed(() => repository.upsertAdvisories(newer));
      console.log(`re-import all newer (key rows rebuilt): ${rate(n, updateMs)}`, updated);
      const [streamed, streamMs] = await timed(async () => {
        let count = 0;
        for await (const _advisory of repository.streamAdvisories({ batchSize: 500 })) count++;
        return count;
      });
      console.log(`stream read: ${rate(streamed, streamMs)}`);
      const keys = [
        ...new Map(go.flatMap((a) => a.affected.map((p) => [`${p.ecosystem}\0${p.name}`, p]))).values(),
      ];
      const [found, packagesMs] = await timed(() =>
        repository.advisoriesForPackages(keys.map((p) => ({ ecosystem: p.ecosystem, name: p.name }))),
      );
      console.log(
        `advisoriesForPackages(${keys.length} keys) -> ${found.length}: ${(packagesMs / 1000).toFixed(2)} s`,
      );
      const aliases = go.slice(0, 1000).map((a) => a.aliases[0] ?? a.id);
      const [, aliasMs] = await timed(async () => {
        for (const alias of aliases) await repository.advisoriesByAlias(alias);
      });
      console.log(`advisoriesByAlias x1000: ${(aliasMs / 1000).toFixed(3)} ms each`);
      const [, kevMs] = await timed(() => repository.upsertKev(kev));
      const [, epssMs] = await timed(() => repository.upsertEpss(epss));
      console.log(
        `upsert KEV ${kev.length}: ${rate(kev.length, kevMs)}; EPSS ${epss.length}: ${rate(epss.length, epssMs)}`,
      );
      const before = heapMb();
      const [lookup, lookupMs] = await timed(() => repository.loadIntelLookup());
      const after = heapMb();
      console.log(
        `loadIntelLookup ${JSON.stringify(lookup.sizes)}: ${(lookupMs / 1000).toFixed(2)} s, ` +
          `heap +${(after - before).toFixed(1)} MB${(globalThis as { gc?: unknown }).gc ? '' : ' (no --expose-gc: approximate)'}`,
      );
      console.log('counts', await repository.counts());
    } finally {
      await database.close();
    }
  } finally {
    await target.remove();
  }
}

const goPath = sharedDataPath('osv-go/golang-vulndb-osv.jsonl');
if (!goPath) {
  console.log('../shared/data is absent: nothing to benchmark');
} else {
  const [goAll, readMs] = await timed(() => readGo(goPath));
  const go = scaled(goAll);
  console.log(
    `read + normalise ${goAll.length} Go advisories (readline + JSON.parse): ${rate(goAll.length, readMs)}`,
  );
  if (SCALE > 1) console.log(`SCALE=${SCALE}: ${go.length} advisories (renamed copies)`);
  const kev = await readKev();
  const epss = syntheticEpss(EPSS_ROWS);
  console.log(`node ${process.version}, ${BACKENDS.join(' + ')}; EPSS rows are synthetic (${EPSS_ROWS})`);
  for (const backend of BACKENDS) await benchBackend(backend, go, kev, epss);
}
