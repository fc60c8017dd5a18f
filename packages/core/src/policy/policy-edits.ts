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
import type { EmergencySpec, ExceptionSpec, PolicyDocument } from './policy-schema.ts';

function documentOf(yamlText: string, file: string) {
  // Validates first: an edit never starts from a policy that would not load.
  const policy = parsePolicyYaml(yamlText, file);
  return { policy, doc: parseDocument(yamlText, { uniqueKeys: true }) };
}

type ListName = 'exceptions' | 'emergencies';

/** `entry` appended to `spec.<list>` (refusing a duplicate id); the result must still validate. */
function appendEntry(
  yamlText: string,
  list: ListName,
  entry: ExceptionSpec | EmergencySpec,
  file: string,
  check: (policy: PolicyDocument) => void = () => undefined,
): string {
  const { policy, doc } = documentOf(yamlText, file);
  if ((policy.spec[list] as { id: string }[]).some((e) => e.id === entry.id)) {
    throw policyError(`spec.${list}.${entry.id}`, `an entry with id ${entry.id} exists`);
  }
  check(policy);
  const existing = doc.getIn(['spec', list]);
  if (isSeq(existing)) {
    existing.add(doc.createNode(entry));
    existing.flow = false; // `exceptions: []` grows into a block list, one entry per item
  } else {
    doc.setIn(['spec', list], doc.createNode([entry]));
  }
  const text = doc.toString({ lineWidth: 0 });
  parsePolicyYaml(text, file); // the whole policy must still hold together
  return text;
}

/** The policy with `exception` appended to `spec.exceptions`; refuses a duplicate id. */
export function addExceptionToYaml(yamlText: string, exception: ExceptionSpec, file: string): string {
  const createdMs = instantMs(exception.createdAt, 'createdAt', exception.id);
  const expiresMs = instantMs(exception.expiresAt, 'expiresAt', exception.id);
  if (expiresMs <= createdMs) {
    throw policyError(
      `spec.exceptions.${exception.id}.expiresAt`,
      `must be after createdAt ${exception.createdAt}`,
    );
  }
  return appendEntry(yamlText, 'exceptions', exception, file);
}

/** The policy with an emergency declared (appended to `spec.emergencies`); refuses a duplicate id. */
export function declareEmergencyInYaml(yamlText: string, emergency: EmergencySpec, file: string): string {
  if ((emergency.cve === undefined) === (emergency.patch === undefined)) {
    throw policyError(`spec.emergencies.${emergency.id}`, 'names either a cve or a patch');
  }
  return appendEntry(yamlText, 'emergencies', emergency, file);
}

/** The policy with emergency `id` lifted at `liftedAt` (it stops applying then). */
export function liftEmergencyInYaml(
  yamlText: string,
  id: string,
  liftedAt: string,
  file: string,
): { yaml: string; emergency: EmergencySpec } {
  const { policy, doc } = documentOf(yamlText, file);
  const index = policy.spec.emergencies.findIndex((e) => e.id === id);
  if (index < 0) throw policyError(`spec.emergencies.${id}`, `no emergency with id ${id}`);
  const emergency = policy.spec.emergencies[index] as EmergencySpec;
  if (emergency.liftedAt !== undefined) {
    throw policyError(`spec.emergencies.${id}.liftedAt`, `already lifted at ${emergency.liftedAt}`);
  }
  if (instantMs(liftedAt, 'liftedAt', id) <= instantMs(emergency.declaredAt, 'declaredAt', id)) {
    throw policyError(`spec.emergencies.${id}.liftedAt`, `must be after declaredAt ${emergency.declaredAt}`);
  }
  const node = doc.getIn(['spec', 'emergencies', index], true);
  if (!isMap(node)) throw policyError(`spec.emergencies.${id}`, 'is not a mapping');
  (node as YAMLMap).set('liftedAt', liftedAt);
  const text = doc.toString({ lineWidth: 0 });
  parsePolicyYaml(text, file);
  return { yaml: text, emergency: { ...emergency, liftedAt } };
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
