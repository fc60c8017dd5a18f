/**
 * Which real files feed the dpkg, RPM and apk oracle tests and benchmark, and how each is read.
 * The file access itself is handed in (`CorpusIo`), so that this stays pure and the tests and the
 * benchmark share one list. Every source is optional: shared data, committed fixtures and this
 * machine's apt lists are each used when present.
 */
import {
  alpineSecdbVersions,
  apkInstalledVersions,
  countVersions,
  debControlVersions,
  debianSecurityListVersions,
  mergeVersions,
  osvVersions,
  tarEntries,
  trivyReportVersions,
  uctReleasedVersions,
  vulsScanVersions,
} from './version-sources.ts';
import type { PackageVersions } from './version-sources.ts';

export interface CorpusIo {
  /** Text of a file under the shared data folder (../shared/data), undefined when absent. */
  shared(relative: string): string | undefined;
  /** Gunzipped bytes of a `.gz` file under the shared data folder, undefined when absent. */
  sharedGunzipped(relative: string): Uint8Array | undefined;
  /** Text of a committed fixture (fixtures/<relative>), undefined when absent. */
  fixture(relative: string): string | undefined;
  /** Decompressed apt `Packages` lists of this machine, each tagged with its file name. */
  aptPackageLists(): { name: string; text: string }[];
}

export interface Corpus {
  readonly groups: PackageVersions;
  /** Source label -> how many (package, version) entries it gave; absent sources are left out. */
  readonly sources: Record<string, number>;
}

type Source = readonly [label: string, read: (io: CorpusIo) => PackageVersions | undefined];

function build(io: CorpusIo, sources: readonly Source[]): Corpus {
  const groups: PackageVersions = new Map();
  const counts: Record<string, number> = {};
  for (const [label, read] of sources) {
    const found = read(io);
    if (found === undefined || found.size === 0) continue;
    counts[label] = countVersions(found);
    mergeVersions(groups, found);
  }
  return { groups, sources: counts };
}

const fromText =
  (read: (io: CorpusIo) => string | undefined, extract: (text: string) => PackageVersions) =>
  (io: CorpusIo): PackageVersions | undefined => {
    const text = read(io);
    return text === undefined ? undefined : extract(text);
  };

const shared = (path: string, extract: (text: string) => PackageVersions): Source => [
  `shared:${path}`,
  fromText((io) => io.shared(path), extract),
];

const fixture = (path: string, extract: (text: string) => PackageVersions): Source => [
  `fixture:${path}`,
  fromText((io) => io.fixture(path), extract),
];

function aptLists(io: CorpusIo): PackageVersions | undefined {
  const lists = io.aptPackageLists();
  if (lists.length === 0) return undefined;
  const out: PackageVersions = new Map();
  for (const list of lists) mergeVersions(out, debControlVersions(list.text));
  return out;
}

const UCT_TARBALL = 'advisories-ubuntu-uct/ubuntu-cve-tracker-active-2020-06-18.tar.gz';

function uctTarball(io: CorpusIo): PackageVersions | undefined {
  const archive = io.sharedGunzipped(UCT_TARBALL);
  if (archive === undefined) return undefined;
  const out: PackageVersions = new Map();
  const decoder = new TextDecoder();
  for (const entry of tarEntries(archive)) {
    if (entry.name.includes('/active/')) mergeVersions(out, uctReleasedVersions(decoder.decode(entry.data)));
  }
  return out;
}

const DPKG_STATUS_FILES = [
  'trivy-ubuntu1804-status',
  'osv-scanner-locks-many-status',
  'osv-scalibr-valid-status',
];
const VULS = 'inventory/vuls-scan-results';

export function debianCorpus(io: CorpusIo): Corpus {
  return build(io, [
    ['apt:/var/lib/apt/lists', aptLists],
    ...DPKG_STATUS_FILES.map((file) => fixture(`versions/dpkg/${file}`, debControlVersions)),
    ...['ubuntu-1804', 'debian-buster', 'debian-stretch'].map((name) =>
      fixture(`versions/trivy/${name}.json.golden`, trivyReportVersions),
    ),
    ...DPKG_STATUS_FILES.map((file) => shared(`inventory/dpkg/${file}`, debControlVersions)),
    ...['ubuntu_1804', 'ubuntu_2004', 'ubuntu_2204', 'ubuntu_2404', 'debian_11', 'debian_12'].map((name) =>
      shared(`${VULS}/${name}.json`, vulsScanVersions),
    ),
    [`shared:${UCT_TARBALL} (released)`, uctTarball],
    ...['DSA', 'DLA', 'DTSA'].map((list) =>
      shared(`advisories-debian/security-tracker-${list}-list.txt`, debianSecurityListVersions),
    ),
  ]);
}

export function rpmCorpus(io: CorpusIo): Corpus {
  return build(io, [
    shared('osv-distro/almalinux9-osv.jsonl', osvVersions),
    ...['alma_9', 'alma_8', 'rocky_9', 'rhel_90'].map((name) =>
      shared(`${VULS}/${name}.json`, vulsScanVersions),
    ),
    ...['almalinux-8', 'centos-7'].map((name) =>
      fixture(`versions/trivy/${name}.json.golden`, trivyReportVersions),
    ),
  ]);
}

/**
 * Debian's version strings are not RPM's, but rpm orders any string; a machine's apt lists give a
 * large real-world set of `[epoch:]version-release` strings when no RPM data is at hand.
 */
export function debianStringsForRpm(io: CorpusIo): Corpus {
  return build(io, [['apt:/var/lib/apt/lists', aptLists]]);
}

const SECDB_RELEASES = ['3.3', '3.4', '3.5', '3.6', '3.7', '3.8', '3.9', '3.10', '3.11'];

export function apkCorpus(io: CorpusIo): Corpus {
  return build(io, [
    ...['osv-scalibr-installed', 'osv-scanner-locks-many-installed'].map((file) =>
      fixture(`versions/apk/${file}`, apkInstalledVersions),
    ),
    fixture('versions/trivy/alpine-310.json.golden', trivyReportVersions),
    ...['osv-scalibr-installed', 'osv-scanner-locks-many-installed'].map((file) =>
      shared(`inventory/apk/${file}`, apkInstalledVersions),
    ),
    shared(`${VULS}/alpine_319.json`, vulsScanVersions),
    ...SECDB_RELEASES.flatMap((release) =>
      ['main', 'community'].map((repo) =>
        shared(`advisories-alpine/secdb-v${release}-${repo}.yaml`, alpineSecdbVersions),
      ),
    ),
  ]);
}

/** Every version of a corpus once, in first-seen order. */
export function corpusVersions(corpus: Corpus): string[] {
  const all = new Set<string>();
  for (const versions of corpus.groups.values()) for (const version of versions) all.add(version);
  return [...all];
}
