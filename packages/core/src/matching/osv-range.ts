import { pwError } from '../errors/index.ts';
import type { AffectedPackage, AffectedRange, RangeEvent } from '../intel/advisory.ts';
import type { VersionScheme } from '../versions/version-scheme.ts';

/**
 * OSV range semantics (https://ossf.github.io/osv-schema/#evaluation), compiled once per
 * advisory so that matching a version is a walk over pre-sorted events.
 */
type EventKind = 'introduced' | 'fixed' | 'last_affected' | 'limit';

interface CompiledEvent {
  kind: EventKind;
  version: string;
  /** `introduced: 0` means "from the beginning of time" and sorts before every version. */
  zero: boolean;
}

export interface CompiledRange {
  type: AffectedRange['type'];
  scheme: VersionScheme;
  events: CompiledEvent[];
  limits: string[];
}

export interface CompiledAffected {
  ranges: CompiledRange[];
  versions: string[];
  versionSet: Set<string>;
  versionScheme: VersionScheme;
}

export interface RangeHit {
  /** Human-readable range that matched, e.g. `>=2.0.0, <2.4.1` or `listed in versions`. */
  range: string;
  rangeType: AffectedRange['type'] | 'VERSIONS';
  /** The version that fixes it, when the matching interval ends with a `fixed` event. */
  fixed?: string;
  lastAffected?: string;
  introduced?: string;
}

function eventOf(event: RangeEvent): { kind: EventKind; version: string } {
  const keys = Object.keys(event);
  if (keys.length !== 1) throw pwError('PW_ERR_INVALID_RANGE', 'A range event must have exactly one key');
  const kind = keys[0] as EventKind;
  const version = (event as Record<string, unknown>)[kind];
  if (typeof version !== 'string' || version === '') {
    throw pwError('PW_ERR_INVALID_RANGE', `Range event "${kind}" has no version`);
  }
  if (kind !== 'introduced' && kind !== 'fixed' && kind !== 'last_affected' && kind !== 'limit') {
    throw pwError('PW_ERR_INVALID_RANGE', `Unknown range event "${String(kind)}"`);
  }
  return { kind, version };
}

const KIND_ORDER: Record<EventKind, number> = { introduced: 0, last_affected: 1, fixed: 2, limit: 3 };

/**
 * Sorts and validates a range's events. Throws PW_ERR_INVALID_RANGE or PW_ERR_INVALID_VERSION when
 * the advisory cannot be evaluated; the caller skips and reports that affected entry.
 */
export function compileRange(range: AffectedRange, scheme: VersionScheme): CompiledRange {
  const events: CompiledEvent[] = [];
  const limits: string[] = [];
  for (const raw of range.events) {
    const { kind, version } = eventOf(raw);
    const zero = kind === 'introduced' && version === '0';
    if (!zero && !scheme.isValid(version)) {
      throw pwError('PW_ERR_INVALID_VERSION', `Invalid ${scheme.id} version "${version}" in ${kind} event`, {
        field: kind,
        version,
      });
    }
    if (kind === 'limit') limits.push(version);
    else events.push({ kind, version, zero });
  }
  events.sort((a, b) => {
    if (a.zero || b.zero) return a.zero === b.zero ? 0 : a.zero ? -1 : 1;
    const order = scheme.compare(a.version, b.version);
    return order !== 0 ? order : KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  });
  return { type: range.type, scheme, events, limits };
}

export function compileAffected(
  affected: AffectedPackage,
  ecosystemScheme: VersionScheme,
  semverScheme: VersionScheme,
): CompiledAffected {
  const ranges: CompiledRange[] = [];
  for (const range of affected.ranges) {
    // GIT ranges name commits, not releases: they cannot be evaluated against an installed
    // version. OSV records that use them also enumerate the affected releases in `versions`.
    if (range.type === 'GIT') continue;
    const scheme = range.type === 'SEMVER' && ecosystemScheme.id !== 'go' ? semverScheme : ecosystemScheme;
    ranges.push(compileRange(range, scheme));
  }
  const versions = affected.versions.filter((v) => ecosystemScheme.isValid(v));
  return { ranges, versions, versionSet: new Set(affected.versions), versionScheme: ecosystemScheme };
}

function describe(introduced: CompiledEvent | undefined, end: CompiledEvent | undefined): string {
  const lower = !introduced || introduced.zero ? '>=0' : `>=${introduced.version}`;
  if (!end) return lower;
  return end.kind === 'fixed' ? `${lower}, <${end.version}` : `${lower}, <=${end.version}`;
}

function evaluateRange(range: CompiledRange, version: string): RangeHit | undefined {
  const { scheme, events } = range;
  if (!scheme.isValid(version)) return undefined;
  let vulnerable = false;
  let introducedAt: CompiledEvent | undefined;
  let i = 0;
  for (; i < events.length; i++) {
    const event = events[i]!;
    if (event.zero) {
      vulnerable = true;
      introducedAt = event;
      continue;
    }
    const order = scheme.compare(version, event.version);
    if (event.kind === 'introduced') {
      if (order < 0) break;
      vulnerable = true;
      introducedAt = event;
    } else if (event.kind === 'fixed') {
      if (order < 0) break;
      vulnerable = false;
    } else {
      // last_affected: the version itself is still affected.
      if (order <= 0) break;
      vulnerable = false;
    }
  }
  if (!vulnerable) return undefined;
  if (range.limits.length > 0 && !range.limits.some((limit) => scheme.compare(version, limit) < 0)) {
    return undefined;
  }
  let end: CompiledEvent | undefined;
  for (; i < events.length; i++) {
    const event = events[i]!;
    if (event.kind === 'fixed' || event.kind === 'last_affected') {
      end = event;
      break;
    }
  }
  const hit: RangeHit = { range: describe(introducedAt, end), rangeType: range.type };
  if (introducedAt && !introducedAt.zero) hit.introduced = introducedAt.version;
  if (end?.kind === 'fixed') hit.fixed = end.version;
  if (end?.kind === 'last_affected') hit.lastAffected = end.version;
  return hit;
}

/** Whether `version` is affected, and by which range; undefined when it is not. */
export function evaluateAffected(compiled: CompiledAffected, version: string): RangeHit | undefined {
  for (const range of compiled.ranges) {
    const hit = evaluateRange(range, version);
    if (hit) return hit;
  }
  if (compiled.versionSet.has(version)) return { range: 'listed in versions', rangeType: 'VERSIONS' };
  if (compiled.versions.length > 0 && compiled.versionScheme.isValid(version)) {
    // Equal under the ecosystem's rules (`1.0` vs `1.0.0` in PyPI) counts as listed.
    for (const listed of compiled.versions) {
      if (compiled.versionScheme.compare(listed, version) === 0) {
        return { range: 'listed in versions', rangeType: 'VERSIONS' };
      }
    }
  }
  return undefined;
}
