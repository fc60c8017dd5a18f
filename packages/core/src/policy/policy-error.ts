import { pwError } from '../errors/errors.ts';
import type { PatchwardenError } from '../errors/errors.ts';

/** One problem in a policy document, at a field path such as `spec.baselines[1].autoApproveAfterDays`. */
export interface PolicyIssue {
  field: string;
  message: string;
  line?: number;
}

/** PW_ERR_INVALID_RECORD naming the field; parsePolicyYaml adds the file and line. */
export function policyError(field: string, message: string, cause?: unknown): PatchwardenError {
  return pwError(
    'PW_ERR_INVALID_RECORD',
    `${field}: ${message}`,
    { field, issues: [{ field, message }] },
    cause,
  );
}

/** `['spec', 'baselines', 1, 'name']` -> `spec.baselines[1].name`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/** `spec.baselines[1].name` -> `['spec', 'baselines', 1, 'name']`. */
export function fieldSegments(field: string): (string | number)[] {
  const segments: (string | number)[] = [];
  for (const match of field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (match[2] !== undefined) segments.push(Number(match[2]));
    else if (match[1] !== undefined) segments.push(match[1]);
  }
  return segments;
}
