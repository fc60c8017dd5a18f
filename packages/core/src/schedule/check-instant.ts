import { invalidField } from './invalid-field.ts';

/** Years 1000 to 9000: wide enough for any schedule, far from the edges of Date and Temporal. */
const EARLIEST_MS = Date.UTC(1000, 0, 1);
const LATEST_MS = Date.UTC(9000, 0, 1);

/** Refuses anything but epoch milliseconds in the supported range, naming the argument. */
export function checkInstant(epochMs: number, name: string): void {
  if (!(typeof epochMs === 'number' && epochMs >= EARLIEST_MS && epochMs <= LATEST_MS)) {
    throw invalidField(name, 'expected epoch milliseconds between the years 1000 and 9000');
  }
}
