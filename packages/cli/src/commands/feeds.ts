import { readFile } from 'node:fs/promises';
import { Command } from '@commander-js/extra-typings';
import {
  DEFAULT_FEED_SOURCES,
  parseFeedSourcesConfig,
  readMirrorStatus,
  syncFeeds,
} from '@patchwarden/feeds';
import { defaultFeedMirror } from '../paths.ts';
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

  return feeds;
}
