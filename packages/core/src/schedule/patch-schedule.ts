/**
 * Patch cadences per asset class: how often an asset is due for its routine patch cycle.
 * Defaults follow common practice (OS and security software monthly, infrastructure quarterly,
 * firmware and drivers half-yearly); every class can be overridden.
 */
import type { AssetClass } from '../assets/index.ts';
import { checkInstant } from './check-instant.ts';
import { invalidField } from './invalid-field.ts';
import { formatInstant, isIanaTimeZone, parseLocalDate, startOfLocalDay } from './local-time.ts';
import { Temporal } from 'temporal-polyfill';

export type Cadence = 'weekly' | 'monthly' | 'quarterly' | 'half-yearly';

/** Most frequent first. */
export const CADENCES: readonly Cadence[] = Object.freeze(['weekly', 'monthly', 'quarterly', 'half-yearly']);

/** The defaults as shipped; pass overrides to `scheduleFor` rather than editing these. */
export const DEFAULT_SCHEDULES: Readonly<Record<AssetClass, Cadence>> = Object.freeze({
  os: 'monthly',
  'server-app': 'monthly',
  'anti-malware': 'monthly',
  'vpn-client': 'monthly',
  'security-tooling': 'monthly',
  appliance: 'quarterly',
  hypervisor: 'quarterly',
  'management-tooling': 'quarterly',
  firmware: 'half-yearly',
  driver: 'half-yearly',
  'management-app': 'half-yearly',
});

export type ScheduleOverrides = Partial<Record<AssetClass, Cadence>>;

/**
 * The cadence of an asset with several classes: the most frequent among them, because the asset
 * must be touched as often as its most demanding part. Undefined for an asset with no class.
 */
export function scheduleFor(
  assetClasses: readonly AssetClass[],
  overrides: ScheduleOverrides = {},
): Cadence | undefined {
  let best: number | undefined;
  assetClasses.forEach((assetClass, i) => {
    if (!Object.hasOwn(DEFAULT_SCHEDULES, assetClass)) {
      throw invalidField(`assetClasses[${i}]`, `unknown asset class '${String(assetClass)}'`);
    }
    const cadence = Object.hasOwn(overrides, assetClass)
      ? overrides[assetClass]
      : DEFAULT_SCHEDULES[assetClass];
    const rank = CADENCES.indexOf(cadence as Cadence);
    if (rank < 0) throw invalidField(`overrides.${assetClass}`, `unknown cadence '${String(cadence)}'`);
    if (best === undefined || rank < best) best = rank;
  });
  return best === undefined ? undefined : CADENCES[best];
}

export interface ScheduleCycle {
  cadence: Cadence;
  /** First local day of the cycle, `YYYY-MM-DD`. */
  localStartDate: string;
  /** Start of that local day (after the gap where midnight does not exist), RFC 3339 with offset. */
  start: string;
  startEpochMs: number;
  /** Start of the following cycle. */
  end: string;
  endEpochMs: number;
}

/**
 * The cycle that starts at the first boundary at or after `fromEpochMs`, read in `timeZone`.
 * Boundaries are local midnights: weekly every 7 days counted from `anchorDate`; monthly on the
 * 1st; quarterly on 1 Jan/Apr/Jul/Oct; half-yearly on 1 Jan/Jul. `anchorDate` (`YYYY-MM-DD`) is
 * when the schedule takes effect: no boundary falls before it.
 */
export function nextScheduledCycle(
  cadence: Cadence,
  anchorDate: string,
  fromEpochMs: number,
  timeZone: string,
): ScheduleCycle {
  if (!CADENCES.includes(cadence)) throw invalidField('cadence', `unknown cadence '${String(cadence)}'`);
  const anchor = parseLocalDate(anchorDate);
  if (anchor === undefined) throw invalidField('anchorDate', `bad date '${String(anchorDate)}' (YYYY-MM-DD)`);
  if (!isIanaTimeZone(timeZone))
    throw invalidField('timeZone', `unknown IANA time zone '${String(timeZone)}'`);
  checkInstant(fromEpochMs, 'fromEpochMs');

  const fromDate = Temporal.Instant.fromEpochMilliseconds(fromEpochMs)
    .toZonedDateTimeISO(timeZone)
    .toPlainDate();
  const earliest = Temporal.PlainDate.compare(fromDate, anchor) < 0 ? anchor : fromDate;
  let boundary = firstBoundaryOnOrAfter(cadence, anchor, earliest);
  while (startOfLocalDay(boundary, timeZone) < fromEpochMs) boundary = boundaryAfter(cadence, boundary);
  const next = boundaryAfter(cadence, boundary);
  const startEpochMs = startOfLocalDay(boundary, timeZone);
  const endEpochMs = startOfLocalDay(next, timeZone);
  return {
    cadence,
    localStartDate: boundary.toString(),
    start: formatInstant(startEpochMs, timeZone),
    startEpochMs,
    end: formatInstant(endEpochMs, timeZone),
    endEpochMs,
  };
}

const MONTHS_PER_CYCLE: Record<Exclude<Cadence, 'weekly'>, number> = {
  monthly: 1,
  quarterly: 3,
  'half-yearly': 6,
};

function firstBoundaryOnOrAfter(
  cadence: Cadence,
  anchor: Temporal.PlainDate,
  date: Temporal.PlainDate,
): Temporal.PlainDate {
  if (cadence === 'weekly') {
    const days = anchor.until(date, { largestUnit: 'days' }).days;
    return anchor.add({ days: Math.ceil(days / 7) * 7 });
  }
  const months = MONTHS_PER_CYCLE[cadence];
  // The cycle containing `date` starts on the 1st of a month that is a multiple of `months` from January.
  const cycleStart = new Temporal.PlainDate(date.year, Math.floor((date.month - 1) / months) * months + 1, 1);
  return Temporal.PlainDate.compare(cycleStart, date) === 0 ? cycleStart : cycleStart.add({ months });
}

function boundaryAfter(cadence: Cadence, boundary: Temporal.PlainDate): Temporal.PlainDate {
  return cadence === 'weekly'
    ? boundary.add({ days: 7 })
    : boundary.add({ months: MONTHS_PER_CYCLE[cadence] });
}
