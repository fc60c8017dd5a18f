import { pwError } from '@patchwarden/core';

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** `30d`, `12h`, `2w`, `90m` as milliseconds; `field` names the flag in the error. */
export function parseDuration(text: string, field: string): number {
  const match = /^(\d+)\s*([mhdw])$/.exec(text.trim());
  if (!match) {
    throw pwError('PW_ERR_USAGE', `Not a duration: ${JSON.stringify(text)} (use e.g. 90m, 12h, 30d, 2w)`, {
      field,
    });
  }
  const amount = Number(match[1]);
  const ms = amount * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (amount <= 0) throw pwError('PW_ERR_USAGE', `A duration must be positive: ${text}`, { field });
  return ms;
}

/** A duration in whole units of `unitMs` (days for tokens, hours for enrolment secrets). */
export function wholeUnits(text: string, field: string, unitMs: number, unitName: string): number {
  const ms = parseDuration(text, field);
  if (ms % unitMs !== 0) {
    throw pwError('PW_ERR_USAGE', `${field} must be a whole number of ${unitName}: ${text}`, { field });
  }
  return ms / unitMs;
}

export const DAY_MS = UNIT_MS.d;
export const HOUR_MS = UNIT_MS.h;
