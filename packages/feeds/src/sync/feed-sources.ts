/**
 * Where the online sync downloads feeds from, and the mirror file each lands in. The defaults are
 * the publishers' own bulk exports; a YAML config can replace them (an internal mirror, a proxy,
 * fewer ecosystems).
 */
import { pwError } from '@patchwarden/core';
import type { Node as YamlNode } from 'yaml';
import { isNode, LineCounter, parseDocument } from 'yaml';
import { isMirrorBookkeepingFile } from './mirror-metadata.ts';

export interface FeedSource {
  name: string;
  url: string;
  /** file name in the mirror */
  file: string;
}

const OSV_EXPORTS = 'https://osv-vulnerabilities.storage.googleapis.com';

/** osv.dev ecosystem name as its bucket spells it, and the short name we give the feed. */
const OSV_ECOSYSTEMS: readonly (readonly [ecosystem: string, slug: string])[] = [
  ['Debian', 'debian'],
  ['Ubuntu', 'ubuntu'],
  ['Alpine', 'alpine'],
  ['AlmaLinux', 'almalinux'],
  ['Rocky Linux', 'rocky-linux'],
  ['npm', 'npm'],
  ['PyPI', 'pypi'],
  ['Go', 'go'],
  ['Maven', 'maven'],
  ['RubyGems', 'rubygems'],
  ['crates.io', 'crates-io'],
  ['NuGet', 'nuget'],
  ['Packagist', 'packagist'],
];

export const DEFAULT_FEED_SOURCES: FeedSource[] = [
  ...OSV_ECOSYSTEMS.map(([ecosystem, slug]) => ({
    name: `osv-${slug}`,
    url: `${OSV_EXPORTS}/${encodeURIComponent(ecosystem)}/all.zip`,
    file: `osv-${slug}-all.zip`,
  })),
  {
    name: 'cisa-kev',
    url: 'https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json',
    file: 'known_exploited_vulnerabilities.json',
  },
  {
    // FIRST's data page links this host (run for FIRST by Empirical Security); it redirects to
    // the dated file, which fetch follows.
    name: 'epss',
    url: 'https://epss.empiricalsecurity.com/epss_scores-current.csv.gz',
    file: 'epss_scores-current.csv.gz',
  },
  {
    name: 'debian-security-tracker',
    url: 'https://security-tracker.debian.org/tracker/data/json',
    file: 'debian-security-tracker.json',
  },
  {
    name: 'cwe',
    url: 'https://cwe.mitre.org/data/xml/cwec_latest.xml.zip',
    file: 'cwec_latest.xml.zip',
  },
];

/** A plain name inside the mirror: no directories, not hidden (importers skip dot files). */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/;

/** Why `source` cannot be synced, as [field, message], or undefined when it can. */
function sourceProblem(
  source: Record<string, unknown>,
): [field: keyof FeedSource, message: string] | undefined {
  const { name, url, file } = source;
  if (typeof name !== 'string' || name.trim() === '' || name !== name.trim()) {
    return ['name', 'must be a non-empty string without surrounding spaces'];
  }
  if (typeof url !== 'string') return ['url', 'must be a string'];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return ['url', `is not a URL: ${JSON.stringify(url)}`];
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return ['url', `must be http or https, not ${parsed.protocol}`];
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return ['url', 'must not carry credentials'];
  }
  if (typeof file !== 'string' || !FILE_NAME.test(file) || file.includes('..')) {
    return ['file', 'must be a plain file name (letters, digits, . _ + -; no directories, not hidden)'];
  }
  if (isMirrorBookkeepingFile(file)) return ['file', 'must not end in .meta.json or .partial'];
  return undefined;
}

/**
 * Checks sources before anything is written: each must be well formed and names and files
 * unique, or two feeds would overwrite each other's copy. `origin` names where they came from.
 */
export function assertFeedSources(
  sources: readonly FeedSource[],
  origin: string,
  fieldPath: (index: number, field?: keyof FeedSource) => string = (index, field) =>
    field ? `[${index}].${field}` : `[${index}]`,
  lineOf: (index: number, field?: keyof FeedSource) => number | undefined = () => undefined,
): void {
  const fail = (index: number, field: keyof FeedSource | undefined, message: string): never => {
    const line = lineOf(index, field);
    const path = fieldPath(index, field);
    throw pwError('PW_ERR_INVALID_RECORD', `${origin}: ${path} ${message}`, {
      file: origin,
      field: path,
      ...(line !== undefined ? { line } : {}),
    });
  };
  const names = new Map<string, number>();
  const files = new Map<string, number>();
  sources.forEach((source, index) => {
    if (typeof source !== 'object' || source === null || Array.isArray(source)) {
      fail(index, undefined, 'must be a mapping with name, url and file');
    }
    const problem = sourceProblem(source as unknown as Record<string, unknown>);
    if (problem) fail(index, problem[0], problem[1]);
    const earlierName = names.get(source.name);
    if (earlierName !== undefined) fail(index, 'name', `repeats the name of entry ${earlierName}`);
    // Case-insensitive file systems would merge files that differ only in case.
    const earlierFile = files.get(source.file.toLowerCase());
    if (earlierFile !== undefined) fail(index, 'file', `repeats the file of entry ${earlierFile}`);
    names.set(source.name, index);
    files.set(source.file.toLowerCase(), index);
  });
}

const KNOWN_FIELDS = new Set(['name', 'url', 'file']);

/**
 * Reads a feed config: `feeds: [{ name, url, file }]`. Errors name `file`, the field path
 * (`feeds[2].url`) and its line.
 */
export function parseFeedSourcesConfig(text: string, file: string): FeedSource[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = lineCounter.linePos(syntax.pos[0]).line;
    throw pwError('PW_ERR_PARSE', `${file}:${line}: invalid YAML: ${syntax.message}`, { file, line }, syntax);
  }
  const lineAt = (path: readonly (string | number)[]): number | undefined => {
    const node: unknown = path.length === 0 ? doc.contents : doc.getIn(path, true);
    const range = isNode(node) ? (node as YamlNode).range : undefined;
    return range ? lineCounter.linePos(range[0]).line : undefined;
  };
  const invalid = (field: string, message: string, path: readonly (string | number)[]): never => {
    const line = lineAt(path);
    throw pwError('PW_ERR_INVALID_RECORD', `${file}: ${field} ${message}`, {
      file,
      field,
      ...(line !== undefined ? { line } : {}),
    });
  };

  const root: unknown = doc.toJS();
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    return invalid('feeds', 'is missing: the config must be a mapping with a feeds list', []);
  }
  const feeds = (root as Record<string, unknown>).feeds;
  if (!Array.isArray(feeds)) return invalid('feeds', 'must be a list of { name, url, file }', ['feeds']);
  if (feeds.length === 0) return invalid('feeds', 'is empty: list at least one feed', ['feeds']);

  feeds.forEach((entry: unknown, index) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return;
    for (const key of Object.keys(entry)) {
      // A misspelt key (`uri:`) would otherwise be dropped without a word.
      if (!KNOWN_FIELDS.has(key))
        invalid(`feeds[${index}].${key}`, 'is not a known field', ['feeds', index, key]);
    }
  });
  const sources = feeds as FeedSource[];
  assertFeedSources(
    sources,
    file,
    (index, field) => (field ? `feeds[${index}].${field}` : `feeds[${index}]`),
    (index, field) => lineAt(field ? ['feeds', index, field] : ['feeds', index]) ?? lineAt(['feeds', index]),
  );
  return sources.map(({ name, url, file: mirrorFile }) => ({ name, url, file: mirrorFile }));
}
