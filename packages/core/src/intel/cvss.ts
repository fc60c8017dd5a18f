/**
 * CVSS scoring for every version feeds publish (2.0, 3.0, 3.1, 4.0). The arithmetic is
 * ae-cvss-calculator's; this module owns what the library leaves loose: it checks the version
 * prefix (the library scores `CVSS:3.1/...` with its 3.0 class without complaint), refuses
 * unknown, repeated or missing base metrics (the library scores an incomplete vector as 0), and
 * turns every failure into PW_ERR_INVALID_CVSS.
 */
import cvssLibrary from 'ae-cvss-calculator';
import { pwError } from '../errors/errors.ts';
import type { SeverityRating } from './advisory.ts';

export type CvssVersion = '2.0' | '3.0' | '3.1' | '4.0';
export type CvssSeverity = 'none' | 'low' | 'medium' | 'high' | 'critical';

export interface CvssScore {
  version: CvssVersion;
  /** The vector as scored: trimmed, without the parentheses some v2 sources wrap it in. */
  vector: string;
  baseScore: number;
  severity: CvssSeverity;
}

// The package is a webpack CommonJS bundle: Node exposes it only as a default export.
const { Cvss2, Cvss3P0, Cvss3P1, Cvss4P0 } = cvssLibrary;

interface LibraryVector {
  isBaseFullyDefined(): boolean;
  findComponent(name: string): { shortName: string } | undefined;
  getComponentByStringOpt(name: string): { shortName: string } | null;
  calculateScores(): { base?: number; baseMetricsOnly?: number };
}

const PREFIXES: readonly { prefix: string; version: CvssVersion; make: (vector: string) => LibraryVector }[] =
  [
    { prefix: 'CVSS:4.0/', version: '4.0', make: (v) => new Cvss4P0(v) },
    { prefix: 'CVSS:3.1/', version: '3.1', make: (v) => new Cvss3P1(v) },
    { prefix: 'CVSS:3.0/', version: '3.0', make: (v) => new Cvss3P0(v) },
    { prefix: 'CVSS:2.0/', version: '2.0', make: (v) => new Cvss2(v) },
  ];

const METRIC = /^[A-Za-z]{1,4}:[A-Za-z]{1,6}$/;
/** Longer than any real vector (a v4 vector with every metric is about 250 characters). */
const MAX_VECTOR_LENGTH = 512;

function invalid(vector: string, reason: string, cause?: unknown): never {
  throw pwError('PW_ERR_INVALID_CVSS', `Invalid CVSS vector: ${reason}`, { field: 'vector', vector }, cause);
}

/** Splits off the version: `CVSS:x.y/` prefixes, else a bare (optionally parenthesised) v2 vector. */
function splitVersion(vector: string): {
  version: CvssVersion;
  body: string;
  scored: string;
  make: (v: string) => LibraryVector;
} {
  const trimmed = vector.trim();
  for (const { prefix, version, make } of PREFIXES) {
    if (trimmed.startsWith(prefix))
      return { version, body: trimmed.slice(prefix.length), scored: trimmed, make };
  }
  if (trimmed.startsWith('CVSS:')) invalid(vector, 'unknown CVSS version');
  // NVD's legacy feeds and several vendors wrap v2 vectors in parentheses.
  const bare = trimmed.startsWith('(') && trimmed.endsWith(')') ? trimmed.slice(1, -1).trim() : trimmed;
  return { version: '2.0', body: bare, scored: bare, make: (v) => new Cvss2(v) };
}

export function scoreCvss(vector: string): CvssScore {
  if (typeof vector !== 'string') invalid(String(vector), 'not a string');
  if (vector.length > MAX_VECTOR_LENGTH) invalid(vector, `longer than ${MAX_VECTOR_LENGTH} characters`);
  const { version, body, scored, make } = splitVersion(vector);
  const parts = body.split('/');
  const seen = new Set<string>();
  for (const part of parts) {
    if (!METRIC.test(part)) invalid(vector, `malformed metric "${part}"`);
    const name = part.slice(0, part.indexOf(':'));
    if (seen.has(name)) invalid(vector, `metric ${name} appears twice`);
    seen.add(name);
  }
  let parsed: LibraryVector;
  try {
    parsed = make(scored);
  } catch (error) {
    invalid(vector, error instanceof Error ? error.message : String(error), error);
  }
  // The library matches names and values loosely; the specification's abbreviations are exact.
  for (const part of parts) {
    const [name = '', value = ''] = part.split(':');
    const component = parsed.findComponent(name);
    if (component?.shortName !== name) invalid(vector, `unknown metric ${name}`);
    if (parsed.getComponentByStringOpt(name)?.shortName !== value) invalid(vector, `invalid value ${part}`);
  }
  if (!parsed.isBaseFullyDefined()) invalid(vector, 'a base metric is missing');
  let baseScore: number | undefined;
  try {
    const scores = parsed.calculateScores();
    // v4's single score folds threat and environmental metrics in; the base score is CVSS-B.
    baseScore = version === '4.0' ? scores.baseMetricsOnly : scores.base;
  } catch (error) {
    invalid(vector, error instanceof Error ? error.message : String(error), error);
  }
  if (baseScore === undefined || !Number.isFinite(baseScore) || baseScore < 0 || baseScore > 10) {
    invalid(vector, 'no base score could be computed');
  }
  return { version, vector: scored, baseScore, severity: severityFromScore(baseScore, version) };
}

/**
 * Qualitative rating. v3.x and v4.0 use FIRST's scale; v2 defined none, so NVD's bands apply
 * (low 0.0-3.9, medium 4.0-6.9, high 7.0-10.0), which have neither `none` nor `critical`.
 */
export function severityFromScore(score: number, version: CvssVersion): CvssSeverity {
  if (!Number.isFinite(score) || score < 0 || score > 10) {
    throw pwError('PW_ERR_INVALID_CVSS', `CVSS score out of range 0-10: ${score}`, {
      field: 'baseScore',
      score,
    });
  }
  if (version === '2.0') return score >= 7 ? 'high' : score >= 4 ? 'medium' : 'low';
  if (score === 0) return 'none';
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  return 'low';
}

const PREFERENCE: Record<CvssVersion, number> = { '4.0': 4, '3.1': 3, '3.0': 2, '2.0': 1 };

/**
 * The most expressive score among `ratings`: v4.0, then v3.1, v3.0, v2. Ratings that are not
 * valid CVSS vectors (distro ratings such as `high`, broken vectors) are skipped; among equal
 * versions the first in the list wins, so callers put the authoritative scorer first.
 */
export function bestCvss(ratings: readonly SeverityRating[]): CvssScore | undefined {
  let best: CvssScore | undefined;
  for (const rating of ratings) {
    const score = tryScoreCvss(rating.score);
    if (score && (!best || PREFERENCE[score.version] > PREFERENCE[best.version])) best = score;
  }
  return best;
}

function tryScoreCvss(vector: unknown): CvssScore | undefined {
  if (typeof vector !== 'string') return undefined;
  try {
    return scoreCvss(vector);
  } catch {
    return undefined;
  }
}
