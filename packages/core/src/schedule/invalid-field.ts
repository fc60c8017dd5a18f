import { pwError } from '../errors/index.ts';
import type { PatchwardenError } from '../errors/index.ts';

/** PW_ERR_INVALID_RECORD naming the field path (`windows[2].timeZone`) in the message and details. */
export function invalidField(
  field: string,
  message: string,
  record?: string,
  cause?: unknown,
): PatchwardenError {
  const details = record === undefined ? { field } : { field, record };
  return pwError('PW_ERR_INVALID_RECORD', `${field}: ${message}`, details, cause);
}
