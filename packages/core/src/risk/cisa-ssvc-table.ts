/**
 * CISA's SSVC decision tree, as data. Source: CERT/CC's SSVC repository (MIT), decision table
 * `cisa:DT_CO` version 2.0.3, "CISA Coordinator" (data/csv/cisa/cisa_coordinator_2_0_3.csv and
 * data/json/decision_tables/cisa/cisa_coordinator_2_0_3.json, commit
 * 5513459d9f806904d0f90add28443827d5af4576): the tree CISA publishes in its "Stakeholder-
 * Specific Vulnerability Categorization Guide" (November 2022) and uses for the SSVC points in
 * its ADP container of CVE records. The rows below are the table's 36 rows in its order;
 * cisa-ssvc-table.test.ts checks them against a byte-for-byte copy of the CSV.
 */
import { pwError } from '../errors/errors.ts';

export type SsvcExploitation = 'none' | 'poc' | 'active';
export type SsvcAutomatable = 'no' | 'yes';
export type SsvcTechnicalImpact = 'partial' | 'total';
export type SsvcMissionWellbeing = 'low' | 'medium' | 'high';
/** CISA's four outcomes, from "remediate within standard timelines" to "as soon as possible". */
export type SsvcOutcome = 'track' | 'track*' | 'attend' | 'act';

export const SSVC_EXPLOITATION: readonly SsvcExploitation[] = Object.freeze(['none', 'poc', 'active']);
export const SSVC_AUTOMATABLE: readonly SsvcAutomatable[] = Object.freeze(['no', 'yes']);
export const SSVC_TECHNICAL_IMPACT: readonly SsvcTechnicalImpact[] = Object.freeze(['partial', 'total']);
export const SSVC_MISSION_WELLBEING: readonly SsvcMissionWellbeing[] = Object.freeze([
  'low',
  'medium',
  'high',
]);
export const SSVC_OUTCOMES: readonly SsvcOutcome[] = Object.freeze(['track', 'track*', 'attend', 'act']);

export interface SsvcDecisionPoints {
  exploitation: SsvcExploitation;
  automatable: SsvcAutomatable;
  technicalImpact: SsvcTechnicalImpact;
  missionWellbeing: SsvcMissionWellbeing;
}

export interface CisaSsvcRow extends SsvcDecisionPoints {
  outcome: SsvcOutcome;
}

export const CISA_SSVC_TABLE_ID = 'cisa:DT_CO:2.0.3';

type Row = [SsvcExploitation, SsvcAutomatable, SsvcTechnicalImpact, SsvcMissionWellbeing, SsvcOutcome];

// prettier-ignore
const ROWS: readonly Row[] = [
  ['none', 'no', 'partial', 'low', 'track'],
  ['none', 'no', 'partial', 'medium', 'track'],
  ['none', 'no', 'partial', 'high', 'track'],
  ['none', 'no', 'total', 'low', 'track'],
  ['none', 'no', 'total', 'medium', 'track'],
  ['none', 'no', 'total', 'high', 'track*'],
  ['none', 'yes', 'partial', 'low', 'track'],
  ['none', 'yes', 'partial', 'medium', 'track'],
  ['none', 'yes', 'partial', 'high', 'attend'],
  ['none', 'yes', 'total', 'low', 'track'],
  ['none', 'yes', 'total', 'medium', 'track'],
  ['none', 'yes', 'total', 'high', 'attend'],
  ['poc', 'no', 'partial', 'low', 'track'],
  ['poc', 'no', 'partial', 'medium', 'track'],
  ['poc', 'no', 'partial', 'high', 'track*'],
  ['poc', 'no', 'total', 'low', 'track'],
  ['poc', 'no', 'total', 'medium', 'track*'],
  ['poc', 'no', 'total', 'high', 'attend'],
  ['poc', 'yes', 'partial', 'low', 'track'],
  ['poc', 'yes', 'partial', 'medium', 'track'],
  ['poc', 'yes', 'partial', 'high', 'attend'],
  ['poc', 'yes', 'total', 'low', 'track'],
  ['poc', 'yes', 'total', 'medium', 'track*'],
  ['poc', 'yes', 'total', 'high', 'attend'],
  ['active', 'no', 'partial', 'low', 'track'],
  ['active', 'no', 'partial', 'medium', 'track'],
  ['active', 'no', 'partial', 'high', 'attend'],
  ['active', 'no', 'total', 'low', 'track'],
  ['active', 'no', 'total', 'medium', 'attend'],
  ['active', 'no', 'total', 'high', 'act'],
  ['active', 'yes', 'partial', 'low', 'attend'],
  ['active', 'yes', 'partial', 'medium', 'attend'],
  ['active', 'yes', 'partial', 'high', 'act'],
  ['active', 'yes', 'total', 'low', 'attend'],
  ['active', 'yes', 'total', 'medium', 'act'],
  ['active', 'yes', 'total', 'high', 'act'],
];

export const CISA_SSVC_TABLE: readonly CisaSsvcRow[] = Object.freeze(
  ROWS.map(([exploitation, automatable, technicalImpact, missionWellbeing, outcome]) =>
    Object.freeze({ exploitation, automatable, technicalImpact, missionWellbeing, outcome }),
  ),
);

function key(points: SsvcDecisionPoints): string {
  return `${points.exploitation}/${points.automatable}/${points.technicalImpact}/${points.missionWellbeing}`;
}

const BY_POINTS: ReadonlyMap<string, SsvcOutcome> = new Map(
  CISA_SSVC_TABLE.map((row) => [key(row), row.outcome]),
);

/** CISA's outcome for four decision points; PW_ERR_INVALID_RECORD names a point outside the tree. */
export function cisaSsvcOutcome(points: SsvcDecisionPoints): SsvcOutcome {
  const domains: [keyof SsvcDecisionPoints, readonly string[]][] = [
    ['exploitation', SSVC_EXPLOITATION],
    ['automatable', SSVC_AUTOMATABLE],
    ['technicalImpact', SSVC_TECHNICAL_IMPACT],
    ['missionWellbeing', SSVC_MISSION_WELLBEING],
  ];
  for (const [field, values] of domains) {
    if (!values.includes(points?.[field])) {
      throw pwError(
        'PW_ERR_INVALID_RECORD',
        `Invalid SSVC decision point ${field}: must be one of ${values.join(', ')}`,
        {
          field,
          value: points?.[field],
        },
      );
    }
  }
  return BY_POINTS.get(key(points)) as SsvcOutcome;
}

/** CISA's Mission Prevalence and Public Well-Being Impact, the two halves of Mission & Well-Being. */
export type MissionPrevalence = 'minimal' | 'support' | 'essential';
export type PublicWellbeingImpact = 'minimal' | 'material' | 'irreversible';

/**
 * Mission & Well-Being from its two halves, per CISA's SSVC guide (reproduced in CERT/CC's SSVC
 * calculator, "CISA Coordinator v2"): low only when both are minimal, high when the mission is
 * essential or the harm irreversible, medium otherwise. The value definitions in the SSVC
 * repository's JSON leave "minimal mission, material harm" out; the guide's table rates it medium.
 */
export function cisaMissionWellbeing(
  mission: MissionPrevalence,
  wellbeing: PublicWellbeingImpact,
): SsvcMissionWellbeing {
  if (mission === 'essential' || wellbeing === 'irreversible') return 'high';
  if (mission === 'minimal' && wellbeing === 'minimal') return 'low';
  return 'medium';
}
