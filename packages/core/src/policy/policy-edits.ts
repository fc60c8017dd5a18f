/**
 * Edits of a stored policy that people make one at a time (grant an exception, renew one),
 * applied to the policy's YAML text so that everything else in it (comments, order, anchors)
 * stays exactly as its author wrote it. Each edit returns new text that the caller validates and
 * saves as the next policy version, like any other apply.
 */
import { isMap, isSeq, parseDocument } from 'yaml';
import type { YAMLMap } from 'yaml';
import { DAY_MS, instantMs } from '../risk/instant.ts';
import { renewException } from './exceptions.ts';
import type { ExceptionRenewal } from './exceptions.ts';
import { parsePolicyYaml } from './policy-document.ts';
import { policyError } from './policy-error.ts';
import type { ExceptionSpec } from './policy-schema.ts';

function documentOf(yamlText: string, file: string) {
  // Validates first: an edit never starts from a policy that would not load.
  const policy = parsePolicyYaml(yamlText, file);
  return { policy, doc: parseDocument(yamlText, { uniqueKeys: true }) };
}

/** The policy with `exception` appended to `spec.exceptions`; refuses a duplicate id. */
export function addExceptionToYaml(yamlText: string, exception: ExceptionSpec, file: string): string {
  const { policy, doc } = documentOf(yamlText, file);
  if (policy.spec.exceptions.some((e) => e.id === exception.id)) {
    throw policyError(`spec.exceptions.${exception.id}`, `an exception with id ${exception.id} exists`);
  }
  const createdMs = instantMs(exception.createdAt, 'createdAt', exception.id);
  const expiresMs = instantMs(exception.expiresAt, 'expiresAt', exception.id);
  if (expiresMs <= createdMs) {
    throw policyError(
      `spec.exceptions.${exception.id}.expiresAt`,
      `must be after createdAt ${exception.createdAt}`,
    );
  }
  const existing = doc.getIn(['spec', 'exceptions']);
  if (isSeq(existing)) {
    existing.add(doc.createNode(exception));
    existing.flow = false; // `exceptions: []` grows into a block list, one exception per entry
  } else {
    doc.setIn(['spec', 'exceptions'], doc.createNode([exception]));
  }
  const text = doc.toString({ lineWidth: 0 });
  parsePolicyYaml(text, file); // the whole policy must still hold together
  return text;
}

/**
 * The policy with exception `id` renewed (core renewException: before it lapses, by at most one
 * term, at most `maxRenewals` times, with an approver).
 */
export function renewExceptionInYaml(
  yamlText: string,
  id: string,
  renewal: ExceptionRenewal,
  file: string,
): { yaml: string; exception: ExceptionSpec } {
  const { policy, doc } = documentOf(yamlText, file);
  const index = policy.spec.exceptions.findIndex((e) => e.id === id);
  if (index < 0) throw policyError(`spec.exceptions.${id}`, `no exception with id ${id}`);
  const renewed = renewException(policy.spec.exceptions[index] as ExceptionSpec, renewal);
  const node = doc.getIn(['spec', 'exceptions', index], true);
  if (!isMap(node)) throw policyError(`spec.exceptions.${id}`, 'is not a mapping');
  const map = node as YAMLMap;
  map.set('expiresAt', renewed.expiresAt);
  map.set('approver', renewed.approver);
  map.set('renewals', renewed.renewals);
  const text = doc.toString({ lineWidth: 0 });
  parsePolicyYaml(text, file);
  return { yaml: text, exception: renewed };
}

/** Days an exception has left at `now` (negative once lapsed), for listings. */
export function exceptionDaysLeft(exception: ExceptionSpec, now: string): number {
  const left = instantMs(exception.expiresAt, 'expiresAt', exception.id) - instantMs(now, 'now');
  return Math.floor(left / DAY_MS);
}
