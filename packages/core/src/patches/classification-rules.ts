/**
 * Patch classification rules: data, not code, so that users can read, reorder and extend them.
 * The first rule whose conditions all hold wins (patch-type.ts applies them). Patterns are
 * regular expressions matched case-insensitively.
 */
import { pwError } from '../errors/errors.ts';
import { SEVERITY_RANK } from '../matching/finding.ts';
import type { SeverityLabel } from '../matching/finding.ts';
import { PATCH_TYPES } from './patch-type.ts';
import type { PatchType } from './patch-type.ts';

export interface ClassificationConditions {
  /** Matched against the advisory's own id (not its aliases). */
  advisoryIdPattern?: string;
  summaryPattern?: string;
  /** The patch's ecosystem, either exactly (`AlmaLinux:9`) or its base (`AlmaLinux`). */
  ecosystem?: string;
  packagePattern?: string;
  /** Whether the advisory names a CVE (its id, aliases or the CVEs it fixes). */
  hasCve?: boolean;
  /** The advisory's severity is at least this (an advisory of unknown severity never is, unless this is `unknown`). */
  severityAtLeast?: SeverityLabel;
}

export interface ClassificationRule {
  id: string;
  description: string;
  /** All conditions must hold, advisory conditions on one and the same advisory; `{}` always holds. */
  when: ClassificationConditions;
  type: PatchType;
}

const SECURITY_IDS = [
  // Vulnerability databases and language ecosystems.
  'CVE',
  'GHSA',
  'PYSEC',
  'GO',
  'RUSTSEC',
  'OSV',
  'MAL',
  'GSD',
  'PSF',
  // Distributions' security advisories (Red Hat family, Debian, Ubuntu, Amazon, SUSE, Mageia...).
  'ALSA',
  'RHSA',
  'ELSA',
  'RLSA',
  'CESA',
  'ALAS\\d*',
  'DSA',
  'DLA',
  'DTSA',
  'USN',
  'UBUNTU-CVE',
  'DEBIAN-CVE',
  'ALPINE-CVE',
  'SUSE-SU',
  'openSUSE-SU',
  'MGASA',
  'BIT',
  'CGA',
  'RXSA',
  'LBSEC',
];

/**
 * Default rules, in order. The reasoning behind the order:
 *  1. A security advisory id settles it: whatever else the erratum does, it closes a vulnerability.
 *  2. Purpose-specific content (time zones, translations, performance, compatibility) comes before
 *     the vendor's generic bug-fix / enhancement type, because vendors ship those purposes as
 *     RHBA/RHEA errata ("tzdata enhancement update") and the purpose is what users schedule by.
 *  3. Then the vendor's own erratum type (ALBA/RHBA bug fix, ALEA/RHEA enhancement), which
 *     outranks a mere CVE reference: Red Hat and AlmaLinux type errata deliberately, and a bug-fix
 *     erratum that mentions a CVE keeps the vendor's type (move `cve-referenced` up to change that).
 *  4. Then generic evidence: a CVE named, security or bug-fix or enhancement wording.
 *  5. Anything else is a bug fix: an update that states no other purpose.
 *
 * tzdata is classified `regulatory`, not `localization`: time zone rules change because
 * governments change legal time (DST abolished, offsets moved), often at short notice, and the
 * update must be live before the legal effective date; it has a deadline set by a regulator,
 * which is what `regulatory` schedules by. `localization` is for translations and locale data.
 */
export const DEFAULT_CLASSIFICATION_RULES: readonly ClassificationRule[] = deepFreeze([
  {
    id: 'security-advisory-id',
    description:
      'Security advisory ids: CVE, GHSA, PYSEC, GO, RUSTSEC, ALSA, RHSA, DSA, DLA, USN, ALAS, SUSE-SU...',
    when: { advisoryIdPattern: `^(?:${SECURITY_IDS.join('|')})-` },
    type: 'security',
  },
  {
    id: 'tzdata-package',
    description: 'Time zone database packages (tzdata, tzdata-java): legal time changes are regulatory',
    when: { packagePattern: '^tzdata(?:-java)?$' },
    type: 'regulatory',
  },
  {
    id: 'time-zone-summary',
    description: 'Summaries about time zone data: legal time changes are regulatory',
    when: { summaryPattern: '\\btzdata\\b|\\btime ?zones?\\b' },
    type: 'regulatory',
  },
  {
    id: 'localization-summary',
    description: 'Summaries about translations, locales and language packs',
    when: {
      summaryPattern:
        '\\b(?:translations?|locali[sz]ations?|locales?|l10n|i18n|langpacks?|language packs?)\\b',
    },
    type: 'localization',
  },
  {
    id: 'performance-summary',
    description: 'Summaries about performance',
    when: { summaryPattern: '\\bperformance\\b' },
    type: 'performance',
  },
  {
    id: 'compatibility-summary',
    description: 'Summaries about compatibility (not the name of a compat-* package)',
    when: { summaryPattern: '\\bcompat(?:ibility|ible)?\\b(?!-)' },
    type: 'compatibility',
  },
  {
    id: 'vendor-bugfix-id',
    description: 'Bug fix errata ids of the Red Hat family: ALBA, RHBA, ELBA, RLBA, CEBA',
    when: { advisoryIdPattern: '^(?:ALBA|RHBA|ELBA|RLBA|CEBA)-' },
    type: 'bugfix',
  },
  {
    id: 'vendor-enhancement-id',
    description: 'Enhancement errata ids of the Red Hat family: ALEA, RHEA, ELEA, RLEA, CEEA',
    when: { advisoryIdPattern: '^(?:ALEA|RHEA|ELEA|RLEA|CEEA)-' },
    type: 'feature',
  },
  {
    id: 'cve-referenced',
    description: 'Advisories that name a CVE',
    when: { hasCve: true },
    type: 'security',
  },
  {
    id: 'security-summary',
    description: 'Summaries that speak of security or a vulnerability',
    when: { summaryPattern: '\\bsecurity\\b|\\bvulnerabilit(?:y|ies)\\b' },
    type: 'security',
  },
  {
    id: 'bugfix-summary',
    description: 'Summaries that speak of bug fixes',
    when: { summaryPattern: '\\bbug ?fix(?:es)?\\b' },
    type: 'bugfix',
  },
  {
    id: 'enhancement-summary',
    description: 'Summaries that speak of enhancements or new features',
    when: { summaryPattern: '\\benhancements?\\b|\\bnew features?\\b' },
    type: 'feature',
  },
  {
    id: 'fallback-bugfix',
    description: 'Anything else: an update that states no other purpose is a bug fix',
    when: {},
    type: 'bugfix',
  },
]);

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** A rule with its patterns compiled, ready to evaluate. */
export interface CompiledClassificationRule {
  rule: ClassificationRule;
  advisoryId?: RegExp;
  summary?: RegExp;
  packageName?: RegExp;
  ecosystem?: string;
  hasCve?: boolean;
  severityAtLeast?: number;
  /** Whether any condition is about an advisory (then one advisory must satisfy all of them). */
  aboutAdvisory: boolean;
}

const CONDITION_KEYS: readonly (keyof ClassificationConditions)[] = [
  'advisoryIdPattern',
  'summaryPattern',
  'ecosystem',
  'packagePattern',
  'hasCve',
  'severityAtLeast',
];
const RULE_KEYS = ['id', 'description', 'when', 'type'];
/** Long enough for any sensible pattern; bounds the cost of a pathological one. */
const MAX_PATTERN_LENGTH = 500;

function invalid(record: string, field: string, message: string, value: unknown): never {
  throw pwError('PW_ERR_INVALID_RECORD', `Invalid classification rule ${record}: ${field} ${message}`, {
    record,
    field,
    value,
  });
}

function pattern(record: string, field: string, value: unknown): RegExp | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') invalid(record, field, 'must be a non-empty string', value);
  if (value.length > MAX_PATTERN_LENGTH)
    invalid(record, field, `must be at most ${MAX_PATTERN_LENGTH} characters`, value);
  try {
    return new RegExp(value, 'i');
  } catch (error) {
    invalid(record, field, `is not a valid regular expression (${(error as Error).message})`, value);
  }
}

/**
 * Validates and compiles rules: known keys only, unique non-empty ids, a known type, valid
 * regular expressions. Errors are PW_ERR_INVALID_RECORD naming the rule (`record`) and the field.
 */
export function compileClassificationRules(
  rules: readonly ClassificationRule[],
): CompiledClassificationRule[] {
  if (!Array.isArray(rules)) invalid('(rules)', 'rules', 'must be an array', rules);
  const seen = new Set<string>();
  return rules.map((rule, index) => {
    if (!rule || typeof rule !== 'object') invalid(`#${index}`, 'rule', 'must be an object', rule);
    const record = typeof rule.id === 'string' && rule.id !== '' ? rule.id : `#${index}`;
    if (record === `#${index}`) invalid(record, 'id', 'must be a non-empty string', rule.id);
    if (seen.has(rule.id)) invalid(record, 'id', 'is used by an earlier rule', rule.id);
    seen.add(rule.id);
    for (const key of Object.keys(rule)) {
      if (!RULE_KEYS.includes(key))
        invalid(record, key, 'is not a known key', (rule as unknown as Record<string, unknown>)[key]);
    }
    if (typeof rule.description !== 'string')
      invalid(record, 'description', 'must be a string', rule.description);
    if (!PATCH_TYPES.includes(rule.type))
      invalid(record, 'type', `must be one of ${PATCH_TYPES.join(', ')}`, rule.type);
    const when = rule.when;
    if (!when || typeof when !== 'object' || Array.isArray(when))
      invalid(record, 'when', 'must be an object', when);
    for (const key of Object.keys(when)) {
      if (!(CONDITION_KEYS as readonly string[]).includes(key)) {
        invalid(record, `when.${key}`, 'is not a known condition', (when as Record<string, unknown>)[key]);
      }
    }
    if (when.ecosystem !== undefined && (typeof when.ecosystem !== 'string' || when.ecosystem === '')) {
      invalid(record, 'when.ecosystem', 'must be a non-empty string', when.ecosystem);
    }
    if (when.hasCve !== undefined && typeof when.hasCve !== 'boolean') {
      invalid(record, 'when.hasCve', 'must be true or false', when.hasCve);
    }
    if (when.severityAtLeast !== undefined && !Object.hasOwn(SEVERITY_RANK, when.severityAtLeast)) {
      invalid(
        record,
        'when.severityAtLeast',
        `must be one of ${Object.keys(SEVERITY_RANK).join(', ')}`,
        when.severityAtLeast,
      );
    }
    const compiled: CompiledClassificationRule = {
      rule,
      aboutAdvisory:
        when.advisoryIdPattern !== undefined ||
        when.summaryPattern !== undefined ||
        when.hasCve !== undefined ||
        when.severityAtLeast !== undefined,
    };
    const advisoryId = pattern(record, 'when.advisoryIdPattern', when.advisoryIdPattern);
    const summary = pattern(record, 'when.summaryPattern', when.summaryPattern);
    const packageName = pattern(record, 'when.packagePattern', when.packagePattern);
    if (advisoryId) compiled.advisoryId = advisoryId;
    if (summary) compiled.summary = summary;
    if (packageName) compiled.packageName = packageName;
    if (when.ecosystem !== undefined) compiled.ecosystem = when.ecosystem.toLowerCase();
    if (when.hasCve !== undefined) compiled.hasCve = when.hasCve;
    if (when.severityAtLeast !== undefined)
      compiled.severityAtLeast = SEVERITY_RANK[when.severityAtLeast as SeverityLabel];
    return compiled;
  });
}
