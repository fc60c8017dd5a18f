import type { InstalledPackage } from '../inventory/installed-package.ts';
import { matchEcosystem } from '../matching/package-name.ts';
import { schemeForEcosystem } from '../versions/registry.ts';
import type { Asset } from './asset.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Default for `staleAfterDays`: an inventory older than a week no longer supports "patched". */
export const DEFAULT_STALE_AFTER_DAYS = 7;

/**
 * How far the store's knowledge of an asset can be trusted:
 * - `unknown`: no installed-software inventory was ever received. Nothing can be said about its
 *   patches; it is never shown as up to date.
 * - `stale`: the newest inventory is older than the threshold.
 * - `current`: the inventory is fresh. That says the data is fresh, not that the asset is patched.
 *
 * Staleness is measured on `inventoryAt`, not `lastSeen`: a ping or a port scan that sees the
 * asset does not refresh what is installed on it, and every "patched" claim rests on the latter.
 */
export type AssetState = 'unknown' | 'stale' | 'current';

export interface StalenessOptions {
  staleAfterDays: number;
}

function instant(value: string, what: string): number {
  const millis = Date.parse(value);
  if (Number.isNaN(millis)) throw new RangeError(`${what} is not an RFC 3339 instant: ${value}`);
  return millis;
}

export function assetState(
  asset: Pick<Asset, 'inventoryAt'>,
  now: string,
  options: StalenessOptions,
): AssetState {
  if (asset.inventoryAt === undefined) return 'unknown';
  const age = instant(now, 'now') - instant(asset.inventoryAt, 'inventoryAt');
  return age > options.staleAfterDays * DAY_MS ? 'stale' : 'current';
}

/** Sources that can see an asset from outside without running on it. */
const OUTSIDE_SOURCES = new Set<string>(['scanner', 'csv', 'json']);

/**
 * Reported by a scanner or an import but never by an agent: such an asset is patched by hand or
 * not at all, and its installed software is known only as far as the scanner guessed it.
 */
export function isHiddenAsset(asset: Pick<Asset, 'sources'>): boolean {
  return !asset.sources.includes('agent') && asset.sources.some((source) => OUTSIDE_SOURCES.has(source));
}

export function hiddenAssets<T extends Pick<Asset, 'sources'>>(assets: readonly T[]): T[] {
  return assets.filter(isHiddenAsset);
}

export interface AssetWithPackages {
  asset: Pick<Asset, 'id' | 'name' | 'os'>;
  packages: readonly InstalledPackage[];
}

export interface DriftVersion {
  version: string;
  /** Asset ids running it, sorted. */
  assets: string[];
}

export interface PackageDrift {
  /** The package manager's name for it (`dpkg`, `rpm`, `npm`...) and the package name. */
  packageManager: string;
  name: string;
  /** The version to standardise on: the most common one, the newest on a tie. */
  standard: string;
  /** Every version seen, most common first. */
  versions: DriftVersion[];
  /** Assets running a version other than `standard`, with the versions they run. */
  minority: { assetId: string; versions: string[] }[];
}

export interface OsDrift {
  /** `<id>-<versionId>` (`ubuntu-22.04`), `<id>` without a version, `unknown` without an OS. */
  os: string;
  assets: number;
  /** Distinct package names seen on these assets. */
  packages: number;
  /** Only the packages running in more than one version, most versions first. */
  drifting: PackageDrift[];
}

export function osKey(os: Asset['os']): string {
  if (os === undefined) return 'unknown';
  return os.versionId ? `${os.id}-${os.versionId}` : os.id;
}

function compareVersionsNewestFirst(ecosystem: string | undefined, a: string, b: string): number {
  const scheme = ecosystem === undefined ? undefined : schemeForEcosystem(ecosystem);
  if (scheme && scheme.isValid(a) && scheme.isValid(b)) {
    const order = scheme.compare(b, a);
    if (order !== 0) return order;
  }
  return a < b ? 1 : a > b ? -1 : 0;
}

/**
 * Version drift: per OS release and package, how many versions run across the fleet and which
 * assets run the others than the standard one. Hosts built from one image should agree; those that
 * do not are candidates for standardising (or were missed by a rollout). Language packages are
 * left out unless asked for: applications legitimately pin different versions.
 */
export function driftReport(
  assets: readonly AssetWithPackages[],
  options: { includeLanguagePackages?: boolean } = {},
): OsDrift[] {
  const byOs = new Map<string, { assets: Set<string>; packages: Map<string, Map<string, Set<string>>> }>();
  const ecosystems = new Map<string, string | undefined>();
  for (const { asset, packages } of assets) {
    const key = osKey(asset.os);
    let group = byOs.get(key);
    if (!group) byOs.set(key, (group = { assets: new Set(), packages: new Map() }));
    group.assets.add(asset.id);
    for (const pkg of packages) {
      if (pkg.kind !== 'os' && !options.includeLanguagePackages) continue;
      // Multi-arch hosts carry one name per architecture; drift is about versions, not arches.
      const packageKey = `${pkg.packageManager}\u0000${pkg.name}`;
      if (!ecosystems.has(packageKey)) ecosystems.set(packageKey, pkg.ecosystem);
      let versions = group.packages.get(packageKey);
      if (!versions) group.packages.set(packageKey, (versions = new Map()));
      let holders = versions.get(pkg.version);
      if (!holders) versions.set(pkg.version, (holders = new Set()));
      holders.add(asset.id);
    }
  }
  const report: OsDrift[] = [];
  for (const [os, group] of byOs) {
    const drifting: PackageDrift[] = [];
    for (const [packageKey, versions] of group.packages) {
      if (versions.size < 2) continue;
      const [packageManager, name] = packageKey.split('\u0000') as [string, string];
      const ecosystem = ecosystems.get(packageKey);
      const ordered = [...versions.entries()]
        .map(([version, holders]): DriftVersion => ({ version, assets: [...holders].sort() }))
        .sort(
          (a, b) =>
            b.assets.length - a.assets.length || compareVersionsNewestFirst(ecosystem, a.version, b.version),
        );
      const standard = ordered[0]!.version;
      const minority = new Map<string, string[]>();
      for (const { version, assets: holders } of ordered.slice(1)) {
        for (const id of holders) {
          // An asset holding the standard version too (two arches, two lockfiles) is not a straggler.
          if (versions.get(standard)!.has(id)) continue;
          let list = minority.get(id);
          if (!list) minority.set(id, (list = []));
          list.push(version);
        }
      }
      drifting.push({
        packageManager,
        name,
        standard,
        versions: ordered,
        minority: [...minority.entries()]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([assetId, held]) => ({ assetId, versions: held })),
      });
    }
    drifting.sort(
      (a, b) => b.versions.length - a.versions.length || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    );
    report.push({ os, assets: group.assets.size, packages: group.packages.size, drifting });
  }
  return report.sort((a, b) => (a.os < b.os ? -1 : a.os > b.os ? 1 : 0));
}

export interface AssetEcosystems {
  assetId: string;
  /** Ecosystems its packages are matched in (`Ubuntu:22.04:LTS`, `npm`, `PyPI`...). */
  ecosystems: readonly string[];
}

export interface CoveredEcosystem {
  /** An exact ecosystem (`Debian:12`), or a bare base (`Debian`) for a feed covering every release. */
  ecosystem: string;
  /** When a feed carrying it last synchronised successfully (RFC 3339). */
  lastSyncAt: string;
}

export interface AssetCoverage {
  assetId: string;
  /** Covered by a feed synchronised within `maxAgeDays`. */
  fresh: string[];
  /** Covered only by feeds older than that: findings may be missing. */
  stale: string[];
  /** No feed covers them: the asset's findings there are unknown, not absent. */
  uncovered: string[];
  flagged: boolean;
}

function covers(covered: string, ecosystem: string): boolean {
  const a = matchEcosystem(covered);
  const b = matchEcosystem(ecosystem);
  return a === b || (!a.includes(':') && b.startsWith(`${a}:`));
}

/**
 * Which of each asset's ecosystems a fresh feed covers. An asset with an uncovered or stale
 * ecosystem is flagged: "no findings" there means "not looked at", not "safe".
 */
export function feedCoverage(
  assets: readonly AssetEcosystems[],
  covered: readonly CoveredEcosystem[],
  now: string,
  maxAgeDays: number,
): AssetCoverage[] {
  const cutoff = instant(now, 'now') - maxAgeDays * DAY_MS;
  const newest = (ecosystem: string): number | undefined => {
    let best: number | undefined;
    for (const entry of covered) {
      if (!covers(entry.ecosystem, ecosystem)) continue;
      const at = instant(entry.lastSyncAt, `lastSyncAt of ${entry.ecosystem}`);
      if (best === undefined || at > best) best = at;
    }
    return best;
  };
  return assets.map(({ assetId, ecosystems }) => {
    const coverage: AssetCoverage = { assetId, fresh: [], stale: [], uncovered: [], flagged: false };
    for (const ecosystem of [...new Set(ecosystems)].sort()) {
      const at = newest(ecosystem);
      if (at === undefined) coverage.uncovered.push(ecosystem);
      else if (at < cutoff) coverage.stale.push(ecosystem);
      else coverage.fresh.push(ecosystem);
    }
    coverage.flagged = coverage.stale.length > 0 || coverage.uncovered.length > 0;
    return coverage;
  });
}
