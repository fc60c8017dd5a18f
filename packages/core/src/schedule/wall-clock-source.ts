/**
 * One shape for every kind of recurrence (RRULE, cron, Patch Tuesday): a source of wall-clock start
 * times in increasing order, asked for "the first start at or after this wall-clock time". Times
 * are floating milliseconds (see local-time.ts); sources never see a time zone, which is what keeps
 * DST out of rule evaluation.
 */
export interface WallClockSource {
  /** The first start at or after `floatingMs`, or undefined when none comes within SEARCH_HORIZON_MS. */
  firstAtOrAfter(floatingMs: number): number | undefined;
}

/**
 * How far ahead a source looks before concluding that its rule never fires again (a cron for
 * 31 February, an RRULE past its COUNT). Ten years covers every yearly or half-yearly window.
 */
export const SEARCH_HORIZON_MS = 3_653 * 86_400_000;
