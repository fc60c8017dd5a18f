import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Command, Option } from '@commander-js/extra-typings';
import type { SeverityLabel } from '@patchwarden/core';
import { SEVERITY_RANK, pwError } from '@patchwarden/core';
import type { FeedKind } from '@patchwarden/feeds';
import { IntelRepository } from '@patchwarden/store';
import { renderScan } from '../output/render.ts';
import { defaultFeedMirror } from '../paths.ts';
import type { StoredIntel } from '../scan/run-scan.ts';
import { runScan } from '../scan/run-scan.ts';
import { openStore } from '../store/open-store.ts';
import { Progress } from '../progress.ts';

const FORMATS = ['table', 'json', 'sarif', 'csv'] as const;
const FAIL_ON = ['critical', 'high', 'medium', 'low', 'negligible', 'unknown', 'never'] as const;

/** Where this machine keeps its installed-package databases. */
const LOCAL_INVENTORY = ['/var/lib/dpkg/status', '/lib/apk/db/installed', '/etc/os-release'];

export function scanCommand(setExitCode: (code: number) => void) {
  return new Command('scan')
    .description(
      'Match installed software (dpkg status, rpm -qa, apk, Vuls, lockfiles, SBOMs) against vulnerability feeds, offline.',
    )
    .argument(
      '[inventory...]',
      'inventory files; several files may describe one host (dpkg status + os-release)',
    )
    .option(
      '-f, --feeds <paths...>',
      'feed files or directories (OSV, NVD, CVE 5, KEV, EPSS, CWE, distro); default: the mirror `feeds sync` fills',
    )
    .option('--store', 'use the intelligence imported into the database (`feeds import`) instead of --feeds')
    .option('--data-dir <dir>', 'embedded database directory (default: $PATCHWARDEN_HOME/data)')
    .option('--database-url <url>', 'PostgreSQL server (default: $DATABASE_URL)')
    .option('--local', "also scan this machine's own package databases and /etc/os-release")
    .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('table' as const))
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity')
        .choices(FAIL_ON)
        .default('never' as const),
    )
    .option('-o, --output <file>', 'write the report to a file instead of standard output')
    .option('-q, --quiet', 'no progress on standard error')
    .action(async (inventory, options) => {
      const files = [...inventory];
      if (options.local) files.push(...LOCAL_INVENTORY.filter((path) => existsSync(path)));
      if (files.length === 0) {
        throw pwError('PW_ERR_USAGE', 'Nothing to scan: name inventory files or pass --local');
      }
      const feeds = options.feeds ?? [defaultFeedMirror()];
      if (!options.store && !options.feeds && !existsSync(feeds[0]!)) {
        throw pwError(
          'PW_ERR_USAGE',
          `No feeds: pass --feeds <files or directories>, or run "patchwarden feeds sync" to fill ${feeds[0]}`,
        );
      }
      const progress = new Progress(!options.quiet);
      const started = performance.now();
      const database = options.store ? await openStore(options) : undefined;
      let stored: StoredIntel | undefined;
      if (database) {
        const repository = new IntelRepository(database);
        stored = {
          advisories: repository.streamAdvisories(),
          lookup: await repository.loadIntelLookup(),
          feeds: (await repository.syncHistory(20)).map((r) => ({
            ...r,
            path: r.source,
            feed: r.feed as FeedKind,
          })),
        };
      }
      const result = await runScan({
        inventory: files,
        ...(stored ? { stored } : { feeds }),
        onInventory: (f) => progress.note(`inventory ${f.file}: ${f.format}, ${f.packages.length} packages`),
        importOptions: {
          onProgress: (p) => progress.update(`feeds ${p.feed} ${p.file}: ${p.records} records`),
          onUnrecognised: (file) => progress.note(`feeds: ${file}: format not recognised, skipped`),
        },
      });
      progress.done();
      await database?.close();
      for (const status of options.store ? [] : result.feeds) {
        if (!status.ok) progress.note(`feeds: ${status.path}: FAILED: ${status.error}`);
        else if (status.skipped > 0) {
          const first = status.issues[0];
          const where = first
            ? ` (first: ${first.file}${first.line ? `:${first.line}` : ''} ${first.record ?? ''}: ${first.message})`
            : '';
          progress.note(`feeds: ${status.path}: ${status.skipped} bad records skipped${where}`);
        }
      }
      progress.note(
        `feeds: ${Object.entries(result.counts)
          .map(([kind, n]) => `${n} ${kind}`)
          .join(', ')}; scanned in ${Math.round(performance.now() - started)} ms`,
      );
      const unsupported = Object.entries(result.index.unsupportedEcosystems);
      if (unsupported.length > 0) {
        progress.note(
          `feeds: advisories for ecosystems with no known version order were not indexed: ` +
            unsupported.map(([ecosystem, count]) => `${ecosystem} (${count})`).join(', '),
        );
      }
      if (result.index.issues > 0) {
        progress.note(
          `feeds: ${result.index.issues} affected entries have ranges that cannot be evaluated (see --format json)`,
        );
      }
      const rendered = renderScan(result, options.format);
      if (options.output) await writeFile(options.output, rendered);
      else process.stdout.write(rendered);

      if (options.failOn !== 'never') {
        const threshold = SEVERITY_RANK[options.failOn as SeverityLabel];
        const failing = result.hosts.some(({ report }) =>
          report.findings.some((f) => SEVERITY_RANK[f.severity] >= threshold),
        );
        if (failing) setExitCode(1);
      }
    });
}
