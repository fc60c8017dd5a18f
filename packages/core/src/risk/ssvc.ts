/**
 * CISA's SSVC decision for one finding on one asset: the four decision points, where each came
 * from, and the outcome CISA's table gives for them (cisa-ssvc-table.ts). README.md lists the
 * derivations; in short:
 *  - Exploitation: CISA's ADP assessment of the CVE; stronger evidence found since (KEV entry,
 *    public exploit reference) raises it, because exploitation only ever moves forward and ADP
 *    points are a snapshot. Without ADP: KEV -> active, a public exploit reference or EPSS at or
 *    above a threshold -> poc, else none.
 *  - Automatable and Technical Impact: ADP, else the CVSS vector, else a conservative default.
 *  - Mission & Well-Being: a person's assessment when given, else derived from the asset.
 */
import type { Asset, BusinessImpact, DataSensitivity, Exposure } from '../assets/asset.ts';
import { pwError } from '../errors/errors.ts';
import type { Reference, SsvcPoints } from '../intel/advisory.ts';
import type { Finding } from '../matching/finding.ts';
import {
  CISA_SSVC_TABLE_ID,
  cisaMissionWellbeing,
  cisaSsvcOutcome,
  SSVC_MISSION_WELLBEING,
} from './cisa-ssvc-table.ts';
import type {
  MissionPrevalence,
  PublicWellbeingImpact,
  SsvcAutomatable,
  SsvcDecisionPoints,
  SsvcExploitation,
  SsvcMissionWellbeing,
  SsvcOutcome,
  SsvcTechnicalImpact,
} from './cisa-ssvc-table.ts';

/**
 * EPSS probability from which a CVE without better evidence counts as having a public PoC.
 * EPSS's model weighs public exploit code (Exploit-DB, Metasploit, GitHub PoCs) heavily, so a
 * probability of 10% is rarely reached without one; it is also the threshold most often used
 * with EPSS, and sits at about the 96th percentile (a real EPSS file of 2026-09-29 puts 0.10483
 * at percentile 0.956). Lower it to treat more CVEs as weaponised.
 */
export const DEFAULT_EPSS_POC_THRESHOLD = 0.1;

export interface SsvcInput {
  /** The SSVC points CISA's ADP container publishes for the CVE (`CveRecord.ssvc`). */
  adp?: SsvcPoints;
  finding?: Partial<Pick<Finding, 'id' | 'cvss' | 'kev' | 'epss'>>;
  /** A public exploit is known by other means (a scanner's flag, an analyst). */
  publicExploit?: boolean;
  /** The CVE's or advisory's references; exploit references count as a public PoC. */
  references?: readonly Reference[];
  asset?: Partial<Pick<Asset, 'businessImpact' | 'exposure' | 'dataSensitivity'>>;
  /** Mission & Well-Being as assessed by a person; takes precedence over the asset's data. */
  missionWellbeing?: SsvcMissionWellbeing;
}

export interface SsvcOptions {
  epssPocThreshold?: number;
}

export type SsvcPointSource =
  'cisa-adp' | 'kev' | 'public-exploit' | 'epss' | 'cvss' | 'asset' | 'given' | 'default';

export interface SsvcDerivation {
  source: SsvcPointSource;
  explanation: string;
}

export interface SsvcAssessment {
  decision: SsvcOutcome;
  points: SsvcDecisionPoints;
  derivedFrom: Record<keyof SsvcDecisionPoints, SsvcDerivation>;
  /** The decision table used. */
  table: typeof CISA_SSVC_TABLE_ID;
}

function invalid(field: string, message: string, value: unknown, record?: string): never {
  throw pwError('PW_ERR_INVALID_RECORD', `Invalid SSVC input ${field}: ${message}`, {
    field,
    value,
    ...(record === undefined ? {} : { record }),
  });
}

const EXPLOIT_HOSTS = [/(^|\.)exploit-db\.com$/, /(^|\.)packetstormsecurity\.(com|org|net)$/];

/**
 * Whether references point at exploit code: OSV's EVIDENCE type (which our NVD and CVE 5
 * readers give references NVD tags `Exploit`), Exploit-DB, Packet Storm or a Metasploit module.
 */
export function hasPublicExploitReference(references: readonly Reference[]): boolean {
  return references.some((reference) => {
    if (reference.type === 'EVIDENCE') return true;
    let url: URL;
    try {
      url = new URL(reference.url);
    } catch {
      return false;
    }
    if (EXPLOIT_HOSTS.some((host) => host.test(url.hostname))) return true;
    return (
      url.hostname === 'github.com' && url.pathname.toLowerCase().startsWith('/rapid7/metasploit-framework/')
    );
  });
}

const EXPLOITATION_ORDER: Record<SsvcExploitation, number> = { none: 0, poc: 1, active: 2 };

function deriveExploitation(input: SsvcInput, threshold: number): [SsvcExploitation, SsvcDerivation] {
  const adp = input.adp?.exploitation;
  const kev = input.finding?.kev;
  const exploitReference =
    input.publicExploit === true || (input.references ? hasPublicExploitReference(input.references) : false);
  const epss = input.finding?.epss?.score;
  const evidence: [SsvcExploitation, SsvcDerivation] | undefined = kev
    ? ['active', { source: 'kev', explanation: `in CISA KEV since ${kev.dateAdded}: exploited in the wild` }]
    : exploitReference
      ? [
          'poc',
          {
            source: 'public-exploit',
            explanation:
              input.publicExploit === true
                ? 'a public exploit is known'
                : 'a reference points at public exploit code',
          },
        ]
      : undefined;
  if (adp) {
    if (evidence && EXPLOITATION_ORDER[evidence[0]] > EXPLOITATION_ORDER[adp]) {
      return [
        evidence[0],
        {
          source: evidence[1].source,
          explanation: `CISA ADP assessed "${adp}", but ${evidence[1].explanation}: ${evidence[0]}`,
        },
      ];
    }
    return [adp, { source: 'cisa-adp', explanation: `CISA ADP SSVC assessment: ${adp}` }];
  }
  if (evidence)
    return [evidence[0], { ...evidence[1], explanation: `${evidence[1].explanation}: ${evidence[0]}` }];
  if (epss !== undefined && epss >= threshold) {
    return [
      'poc',
      {
        source: 'epss',
        explanation: `no ADP assessment, not in KEV; EPSS ${epss} is at or above ${threshold}: poc`,
      },
    ];
  }
  const epssText = epss === undefined ? 'no EPSS score' : `EPSS ${epss} is below ${threshold}`;
  return [
    'none',
    {
      source: 'default',
      explanation: `no ADP assessment, not in KEV, no public exploit reference, ${epssText}: none`,
    },
  ];
}

interface CvssMetrics {
  version: '2' | '3' | '4';
  metrics: Map<string, string>;
  vector: string;
}

function cvssMetrics(vector: string | undefined): CvssMetrics | undefined {
  if (typeof vector !== 'string') return undefined;
  let body = vector.trim();
  let version: CvssMetrics['version'] = '2';
  const prefix = /^CVSS:(\d)\.\d\//.exec(body);
  if (prefix) {
    if (prefix[1] !== '3' && prefix[1] !== '4' && prefix[1] !== '2') return undefined;
    version = prefix[1];
    body = body.slice(prefix[0].length);
  } else if (body.startsWith('(') && body.endsWith(')')) {
    body = body.slice(1, -1);
  }
  const metrics = new Map<string, string>();
  for (const part of body.split('/')) {
    const [name, value] = part.split(':');
    if (name && value) metrics.set(name, value);
  }
  return { version, metrics, vector: vector.trim() };
}

/** The metrics each CVSS version needs for a point, and the values that make it `yes` / `total`. */
const AUTOMATABLE_METRICS: Record<CvssMetrics['version'], [string, string][]> = {
  // v2 has no User Interaction; Authentication None is its Privileges Required None.
  '2': [
    ['AV', 'N'],
    ['AC', 'L'],
    ['Au', 'N'],
  ],
  '3': [
    ['AV', 'N'],
    ['AC', 'L'],
    ['PR', 'N'],
    ['UI', 'N'],
  ],
  // Attack Requirements (AT) is left out on purpose: CISA rates CVE-2025-4565 (AT:P) automatable.
  '4': [
    ['AV', 'N'],
    ['AC', 'L'],
    ['PR', 'N'],
    ['UI', 'N'],
  ],
};

const TOTAL_IMPACT_METRICS: Record<CvssMetrics['version'], [string, string][]> = {
  '2': [
    ['C', 'C'],
    ['I', 'C'],
  ],
  '3': [
    ['C', 'H'],
    ['I', 'H'],
  ],
  '4': [
    ['VC', 'H'],
    ['VI', 'H'],
  ],
};

function fromCvss<T extends string>(
  cvss: CvssMetrics | undefined,
  table: Record<CvssMetrics['version'], [string, string][]>,
  values: [whenAll: T, otherwise: T],
  meaning: string,
): [T, SsvcDerivation] | undefined {
  if (!cvss) return undefined;
  const required = table[cvss.version];
  if (required.some(([name]) => !cvss.metrics.has(name))) return undefined;
  const shown = required.map(([name]) => `${name}:${cvss.metrics.get(name)}`).join('/');
  const wanted = required.map(([name, value]) => `${name}:${value}`).join('/');
  const all = required.every(([name, value]) => cvss.metrics.get(name) === value);
  const value = all ? values[0] : values[1];
  return [
    value,
    {
      source: 'cvss',
      explanation: `no ADP assessment; CVSS ${shown} ${all ? 'is' : 'is not'} ${wanted} (${meaning}): ${value}`,
    },
  ];
}

const BUSINESS_IMPACTS: readonly BusinessImpact[] = [1, 2, 3, 4, 5];
const MISSION: Record<BusinessImpact, MissionPrevalence> = {
  1: 'minimal',
  2: 'minimal',
  3: 'support',
  4: 'support',
  5: 'essential',
};
const WELLBEING: Record<DataSensitivity, PublicWellbeingImpact> = {
  public: 'minimal',
  internal: 'minimal',
  confidential: 'material',
  restricted: 'material',
};
const EXPOSURE_STEP: Record<Exposure, number> = { internet: 1, internal: 0, isolated: -1 };
/** Unknown context, as in the risk score: one notch below the worst case. */
const UNKNOWN_IMPACT: BusinessImpact = 4;
const UNKNOWN_SENSITIVITY: DataSensitivity = 'confidential';
const UNKNOWN_EXPOSURE: Exposure = 'internal';

function deriveMissionWellbeing(input: SsvcInput, record?: string): [SsvcMissionWellbeing, SsvcDerivation] {
  if (input.missionWellbeing !== undefined) {
    if (!SSVC_MISSION_WELLBEING.includes(input.missionWellbeing)) {
      invalid(
        'missionWellbeing',
        `must be one of ${SSVC_MISSION_WELLBEING.join(', ')}`,
        input.missionWellbeing,
        record,
      );
    }
    return [input.missionWellbeing, { source: 'given', explanation: `assessed: ${input.missionWellbeing}` }];
  }
  const asset = input.asset ?? {};
  const impact = asset.businessImpact;
  const sensitivity = asset.dataSensitivity;
  const exposure = asset.exposure;
  if (impact !== undefined && !BUSINESS_IMPACTS.includes(impact)) {
    invalid('asset.businessImpact', 'must be an integer from 1 to 5', impact, record);
  }
  if (sensitivity !== undefined && !Object.hasOwn(WELLBEING, sensitivity)) {
    invalid(
      'asset.dataSensitivity',
      `must be one of ${Object.keys(WELLBEING).join(', ')}`,
      sensitivity,
      record,
    );
  }
  if (exposure !== undefined && !Object.hasOwn(EXPOSURE_STEP, exposure)) {
    invalid('asset.exposure', `must be one of ${Object.keys(EXPOSURE_STEP).join(', ')}`, exposure, record);
  }
  const mission = MISSION[impact ?? UNKNOWN_IMPACT];
  const wellbeing = WELLBEING[sensitivity ?? UNKNOWN_SENSITIVITY];
  const base = cisaMissionWellbeing(mission, wellbeing);
  const step = EXPOSURE_STEP[exposure ?? UNKNOWN_EXPOSURE];
  const index = Math.min(2, Math.max(0, SSVC_MISSION_WELLBEING.indexOf(base) + step));
  const value = SSVC_MISSION_WELLBEING[index] as SsvcMissionWellbeing;
  const parts = [
    impact === undefined
      ? `business impact unknown (counted as ${UNKNOWN_IMPACT}) -> mission prevalence ${mission}`
      : `business impact ${impact} -> mission prevalence ${mission}`,
    sensitivity === undefined
      ? `data sensitivity unknown (counted as ${UNKNOWN_SENSITIVITY}) -> public well-being ${wellbeing}`
      : `data sensitivity ${sensitivity} -> public well-being ${wellbeing}`,
    `CISA table: ${base}`,
    exposure === undefined
      ? `exposure unknown (counted as ${UNKNOWN_EXPOSURE}): unchanged`
      : step > 0
        ? `exposure ${exposure}: one step up`
        : step < 0
          ? `exposure ${exposure}: one step down`
          : `exposure ${exposure}: unchanged`,
  ];
  return [value, { source: 'asset', explanation: `${parts.join('; ')}: ${value}` }];
}

/** CISA's SSVC decision for one finding on one asset, with the origin of every decision point. */
export function ssvcDecision(input: SsvcInput, options: SsvcOptions = {}): SsvcAssessment {
  const threshold = options.epssPocThreshold ?? DEFAULT_EPSS_POC_THRESHOLD;
  const record = typeof input?.finding?.id === 'string' ? input.finding.id : undefined;
  if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold < 0 || threshold > 1) {
    invalid('epssPocThreshold', 'must be a number from 0 to 1', threshold, record);
  }
  const epss = input?.finding?.epss?.score;
  if (epss !== undefined && (typeof epss !== 'number' || !Number.isFinite(epss) || epss < 0 || epss > 1)) {
    invalid('finding.epss.score', 'must be a number from 0 to 1', epss, record);
  }
  const adp = input.adp ?? {};
  const checks: [keyof SsvcPoints, readonly string[]][] = [
    ['exploitation', ['none', 'poc', 'active']],
    ['automatable', ['yes', 'no']],
    ['technicalImpact', ['partial', 'total']],
  ];
  for (const [field, values] of checks) {
    if (adp[field] !== undefined && !values.includes(adp[field])) {
      invalid(`adp.${field}`, `must be one of ${values.join(', ')}`, adp[field], record);
    }
  }

  const cvss = cvssMetrics(input.finding?.cvss?.vector);
  const exploitation = deriveExploitation(input, threshold);
  const automatable: [SsvcAutomatable, SsvcDerivation] = adp.automatable
    ? [adp.automatable, { source: 'cisa-adp', explanation: `CISA ADP SSVC assessment: ${adp.automatable}` }]
    : (fromCvss<SsvcAutomatable>(
        cvss,
        AUTOMATABLE_METRICS,
        ['yes', 'no'],
        'network, low complexity, no privileges, no user interaction',
      ) ?? [
        'yes',
        {
          source: 'default',
          explanation: 'unknown: no ADP assessment and no usable CVSS vector; assumed yes (conservative)',
        },
      ]);
  const technicalImpact: [SsvcTechnicalImpact, SsvcDerivation] = adp.technicalImpact
    ? [
        adp.technicalImpact,
        { source: 'cisa-adp', explanation: `CISA ADP SSVC assessment: ${adp.technicalImpact}` },
      ]
    : (fromCvss<SsvcTechnicalImpact>(
        cvss,
        TOTAL_IMPACT_METRICS,
        ['total', 'partial'],
        'high confidentiality and integrity impact',
      ) ?? [
        'total',
        {
          source: 'default',
          explanation: 'unknown: no ADP assessment and no usable CVSS vector; assumed total (conservative)',
        },
      ]);
  const missionWellbeing = deriveMissionWellbeing(input, record);
  const points: SsvcDecisionPoints = {
    exploitation: exploitation[0],
    automatable: automatable[0],
    technicalImpact: technicalImpact[0],
    missionWellbeing: missionWellbeing[0],
  };
  return {
    decision: cisaSsvcOutcome(points),
    points,
    derivedFrom: {
      exploitation: exploitation[1],
      automatable: automatable[1],
      technicalImpact: technicalImpact[1],
      missionWellbeing: missionWellbeing[1],
    },
    table: CISA_SSVC_TABLE_ID,
  };
}
