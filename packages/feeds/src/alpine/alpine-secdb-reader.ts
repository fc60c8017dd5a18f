import { pwError } from '@patchwarden/core';
import type { Advisory, AffectedPackage } from '@patchwarden/core';
import { LineCounter, parseDocument, YAMLParseError, isSeq } from 'yaml';
import type { FeedReader, FeedRecord, ReadOptions } from '../feed-record.ts';
import { issue } from '../feed-input/issue.ts';
import { isNonEmptyString, isObject } from '../feed-input/json-shapes.ts';
import type { JsonObject } from '../feed-input/json-shapes.ts';
import { openInput } from '../feed-input/open-input.ts';
import { readText } from '../feed-input/read-text.ts';
import { isNewer, sinceMillis } from '../feed-input/since.ts';
import { secfixIds } from './secfix-ids.ts';

/**
 * Alpine's secdb (https://secdb.alpinelinux.org/v3.19/main.json, and the YAML it was generated
 * from in the former alpine-secdb repository): per origin package, `secfixes` maps the apk
 * version that fixed something to the ids it fixed; version `0` means "never affected".
 * A secdb file is at most a few MB, so it is parsed whole.
 */
const MAX_SECDB_BYTES = 64 * 1024 * 1024;

interface SecdbPackage {
  value: unknown;
  /** 1-based line of the package in YAML input. */
  line?: number;
  index: number;
}

interface Secdb {
  distroversion: unknown;
  reponame: unknown;
  packages: SecdbPackage[];
}

function parseSecdb(text: string, file: string): Secdb {
  if (/^\s*[{[]/.test(text)) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (thrown) {
      throw pwError('PW_ERR_PARSE', `${file}: invalid JSON (${(thrown as Error).message})`, { file }, thrown);
    }
    if (!isObject(value))
      throw pwError('PW_ERR_INVALID_RECORD', `${file}: a secdb file is a JSON object`, { file });
    const packages = Array.isArray(value['packages']) ? value['packages'] : [];
    return {
      distroversion: value['distroversion'],
      reponame: value['reponame'],
      packages: packages.map((item: unknown, index) => ({ value: item, index })),
    };
  }
  // failsafe: every scalar stays a string, so `2.10:` does not become 2.1 and `0:` stays "0".
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { schema: 'failsafe', uniqueKeys: false, lineCounter });
  const error = doc.errors[0];
  if (error) {
    const line = error instanceof YAMLParseError ? error.linePos?.[0]?.line : undefined;
    throw pwError(
      'PW_ERR_PARSE',
      `${file}: invalid YAML (${error.message.split('\n')[0]})`,
      { file, line },
      error,
    );
  }
  const root: unknown = doc.toJS();
  if (!isObject(root))
    throw pwError('PW_ERR_INVALID_RECORD', `${file}: a secdb file is a YAML mapping`, { file });
  const node = doc.get('packages', true);
  const packages: SecdbPackage[] = isSeq(node)
    ? node.items.map((item, index) => {
        const start = (item as { range?: [number, number, number] }).range?.[0];
        const pkg: SecdbPackage = { value: (root['packages'] as unknown[])[index], index };
        if (start !== undefined) pkg.line = lineCounter.linePos(start).line;
        return pkg;
      })
    : [];
  return { distroversion: root['distroversion'], reponame: root['reponame'], packages };
}

interface Collected {
  advisory: Advisory;
  byPackage: Map<string, AffectedPackage>;
  notAffected: string[];
}

async function* read(path: string, options: ReadOptions = {}): AsyncGenerator<FeedRecord> {
  const since = sinceMillis(options.since);
  const input = await openInput(path, { onBytes: (bytes) => options.onProgress?.(bytes, input.size) });
  const secdb = parseSecdb(await readText(input.stream, path, MAX_SECDB_BYTES), path);
  const release = secdb.distroversion;
  if (!isNonEmptyString(release)) {
    throw pwError('PW_ERR_INVALID_RECORD', `${path}: no "distroversion", so no Alpine release to match`, {
      file: path,
      field: 'distroversion',
    });
  }
  // secdb carries no dates; the file's own time stands for "last changed" of every record.
  const modified = input.mtime.toISOString();
  if (!isNewer(modified, since)) return;
  const ecosystem = `Alpine:${release}`;
  const fileDetails: JsonObject = { distroversion: release };
  if (isNonEmptyString(secdb.reponame)) fileDetails['reponame'] = secdb.reponame;
  const byId = new Map<string, Collected>();
  const collect = (id: string): Collected => {
    let found = byId.get(id);
    if (!found) {
      const advisory: Advisory = {
        id,
        aliases: [],
        related: [],
        source: 'alpine-secdb',
        modified,
        severity: [],
        cwes: [],
        affected: [],
        references: id.startsWith('CVE-')
          ? [{ type: 'ADVISORY', url: `https://security.alpinelinux.org/vuln/${id}` }]
          : [],
      };
      byId.set(id, (found = { advisory, byPackage: new Map(), notAffected: [] }));
    }
    return found;
  };

  for (const pkg of secdb.packages) {
    const where = pkg.line === undefined ? {} : { line: pkg.line };
    const inner = isObject(pkg.value) ? pkg.value['pkg'] : undefined;
    const name = isObject(inner) ? inner['name'] : undefined;
    if (!isObject(inner) || !isNonEmptyString(name)) {
      yield issue(path, `packages[${pkg.index}]: no pkg.name`, {
        ...where,
        record: `packages[${pkg.index}]`,
      });
      continue;
    }
    const secfixes = inner['secfixes'];
    if (secfixes === undefined || secfixes === null || secfixes === '') continue;
    if (!isObject(secfixes)) {
      yield issue(path, `${name}: secfixes is not a mapping of version to ids`, { ...where, record: name });
      continue;
    }
    for (const [version, listed] of Object.entries(secfixes)) {
      const entries = typeof listed === 'string' ? [listed] : listed;
      if (!Array.isArray(entries) || /\s/.test(version) || version === '') {
        yield issue(path, `${name} ${version}: expected a version mapped to a list of ids`, {
          ...where,
          record: name,
        });
        continue;
      }
      for (const text of entries) {
        const ids = typeof text === 'string' ? secfixIds(text) : [];
        if (ids.length === 0) {
          yield issue(path, `${name} ${version}: no advisory id in ${JSON.stringify(text)}`, {
            ...where,
            record: name,
          });
          continue;
        }
        const [id, ...aliases] = ids as [string, ...string[]];
        const found = collect(id);
        for (const alias of aliases)
          if (!found.advisory.aliases.includes(alias)) found.advisory.aliases.push(alias);
        if (version === '0') {
          if (!found.notAffected.includes(name)) found.notAffected.push(name);
          continue;
        }
        let affected = found.byPackage.get(name);
        if (!affected) {
          affected = { ecosystem, name, ranges: [], versions: [] };
          found.byPackage.set(name, affected);
          found.advisory.affected.push(affected);
        }
        // A CVE listed under two versions (an incomplete first fix) keeps both ranges; their union
        // ends at the later fix, which is the safe reading.
        if (!affected.ranges.some((r) => r.events.some((e) => 'fixed' in e && e.fixed === version))) {
          affected.ranges.push({ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: version }] });
        }
      }
    }
  }
  for (const { advisory, notAffected, byPackage } of byId.values()) {
    for (const name of notAffected.filter((n) => byPackage.has(n))) {
      // Contradictory data: the fix is kept, since dropping it could hide a vulnerable version.
      yield issue(
        path,
        `${name}: ${advisory.id} is listed both as never affected (0) and as fixed; kept the fix`,
        {
          record: advisory.id,
        },
      );
    }
    advisory.database_specific =
      notAffected.length > 0 ? { ...fileDetails, not_affected: notAffected } : fileDetails;
    yield { kind: 'advisory', advisory };
  }
}

function sniff(_path: string, head: string): boolean {
  return /(^|[{,]\s*)"?distroversion"?\s*:/m.test(head) && /"?(packages|secfixes|reponame)"?\s*:/.test(head);
}

/** One advisory per id (CVE, else XSA/TALOS...) with a fixed range per Alpine origin package. */
export const alpineSecdbReader: FeedReader = Object.freeze({ feed: 'alpine-secdb', sniff, read });
