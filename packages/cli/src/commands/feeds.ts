import { readFile } from 'node:fs/promises';
import { Command } from '@commander-js/extra-typings';
import {
  DEFAULT_FEED_SOURCES,
  importFeeds,
  parseFeedSourcesConfig,
  readMirrorStatus,
  syncFeeds,
} from '@patchwarden/feeds';
import { IntelRepository } from '@patchwarden/store';
import { defaultFeedMirror } from '../paths.ts';
import { openStore } from '../store/open-store.ts';
import { StoreSink } from '../store/store-sink.ts';
import { Progress } from '../progress.ts';

function mb(bytes: number | undefined): string {
  return bytes === undefined ? '' : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

async function sourcesFrom(config: string | undefined) {
  return config ? parseFeedSourcesConfig(await readFile(config, 'utf8'), config) : DEFAULT_FEED_SOURCES;
}

/** `patchwarden feeds sync|status`: the optional online path that keeps a local feed mirror. */
export function feedsCommand(setExitCode: (code: number) => void) {
  const feeds = new Command('feeds').description('Keep a local mirror of the public vulnerability feeds');

  feeds
    .command('sync')
    .description(
      'Download feeds from their public URLs (conditional GET, retries; the last good copy is kept on failure)',
    )
    .option('--mirror <dir>', 'mirror directory', defaultFeedMirror())
    .option('--config <file>', 'YAML list of feeds (feeds: [{name, url, file}]) instead of the defaults')
    .option('--retries <n>', 'extra attempts per feed after the first', '3')
    .option('-q, --quiet', 'no progress on standard error')
    .action(async (options) => {
      const sources = await sourcesFrom(options.config);
      const progress = new Progress(!options.quiet);
      const statuses = await syncFeeds(sources, options.mirror, {
        retries: Number(options.retries),
        onProgress: (name, bytes, total) =>
          progress.update(`sync ${name}: ${mb(bytes)}${total ? ` of ${mb(total)}` : ''}`),
      });
      progress.done();
      for (const s of statuses) {
        const detail =
          s.status === 'failed'
            ? `FAILED after ${s.attempts} attempts: ${s.error}${s.lastGoodAt ? ` (keeping the copy from ${s.lastGoodAt})` : ' (no earlier copy)'}`
            : s.status === 'not-modified'
              ? 'not modified'
              : `downloaded ${mb(s.bytes)}`;
        process.stdout.write(`${s.name.padEnd(24)} ${detail}\n`);
      }
      process.stdout.write(`mirror: ${options.mirror}\n`);
      if (statuses.some((s) => !s.ok)) setExitCode(1);
    });

  feeds
    .command('status')
    .description('Show what the local mirror holds and when each feed was last fetched')
    .option('--mirror <dir>', 'mirror directory', defaultFeedMirror())
    .option('--config <file>', 'YAML list of feeds instead of the defaults')
    .action(async (options) => {
      const entries = await readMirrorStatus(options.mirror, await sourcesFrom(options.config));
      for (const e of entries) {
        const when = e.checkedAt ? `checked ${e.checkedAt}, downloaded ${e.downloadedAt ?? '?'}` : '';
        const problem = e.problem ? ` (${e.problem})` : '';
        process.stdout.write(
          `${e.name.padEnd(24)} ${e.state.padEnd(20)} ${mb(e.bytesOnDisk).padStart(9)} ${when}${problem}\n`,
        );
      }
      if (entries.some((e) => e.state !== 'ok')) setExitCode(1);
    });

  feeds
    .command('import')
    .description(
      'Import feed files and directories into the database: idempotent, incremental by modified time, with a recorded sync status per file',
    )
    .argument('<paths...>', 'feed files or directories (format detected from content)')
    .option('--data-dir <dir>', 'embedded database directory (default: $PATCHWARDEN_HOME/data)')
    .option('--database-url <url>', 'PostgreSQL server (default: $DATABASE_URL)')
    .option(
      '--full',
      'import every record, not only those modified since the last successful import of the file',
    )
    .option('-q, --quiet', 'no progress on standard error')
    .action(async (paths, options) => {
      const database = await openStore(options);
      try {
        const repository = new IntelRepository(database);
        const progress = new Progress(!options.quiet);
        const statuses = await importFeeds(new StoreSink(repository), paths, {
          incremental: !options.full,
          onProgress: (p) => progress.update(`import ${p.feed} ${p.file}: ${p.records} records`),
          onUnrecognised: (file) => progress.note(`${file}: format not recognised, skipped`),
        });
        progress.done();
        for (const s of statuses) {
          const outcome = s.ok
            ? `${s.records} records: ${s.inserted} new, ${s.updated} updated, ${s.unchanged} unchanged, ${s.skipped} bad records skipped`
            : `FAILED: ${s.error} (${s.inserted + s.updated} records stored before the failure are kept)`;
          process.stdout.write(`${s.feed.padEnd(15)} ${s.path}: ${outcome}\n`);
          for (const issue of s.issues.slice(0, 3)) {
            const where = `${issue.file}${issue.line !== undefined ? `:${issue.line}` : ''}${issue.record ? ` ${issue.record}` : ''}`;
            process.stdout.write(`  skipped ${where}: ${issue.message}\n`);
          }
        }
        const counts = await repository.counts();
        process.stdout.write(
          `database: ${Object.entries(counts)
            .map(([kind, n]) => `${n} ${kind}`)
            .join(', ')}\n`,
        );
        if (statuses.some((s) => !s.ok)) setExitCode(1);
      } finally {
        await database.close();
      }
    });

  feeds
    .command('history')
    .description('Show the recorded sync status of recent imports')
    .option('--data-dir <dir>', 'embedded database directory (default: $PATCHWARDEN_HOME/data)')
    .option('--database-url <url>', 'PostgreSQL server (default: $DATABASE_URL)')
    .option('--limit <n>', 'how many runs', '20')
    .action(async (options) => {
      const database = await openStore(options);
      try {
        for (const run of await new IntelRepository(database).syncHistory(Number(options.limit))) {
          process.stdout.write(
            `${run.startedAt} ${run.ok ? 'ok    ' : 'FAILED'} ${run.feed.padEnd(15)} ${run.source} ` +
              `records=${run.records} new=${run.inserted} updated=${run.updated} unchanged=${run.unchanged} skipped=${run.skipped}` +
              `${run.newestModified ? ` newest=${run.newestModified}` : ''}${run.error ? ` error=${run.error}` : ''}\n`,
          );
        }
      } finally {
        await database.close();
      }
    });

  return feeds;
}
