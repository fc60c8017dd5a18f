import { createHash } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { AuditLogTable } from '../schema/auth-schema.ts';
import { canonicalJson, storableText, toJsonValue } from './canonical-json.ts';
import type { JsonValue } from './canonical-json.ts';

export type AuditActorKind = 'user' | 'token' | 'agent' | 'system';

/** Who did it: a user (through a session), an API token, an enrolled agent or the system itself. */
export interface AuditActor {
  kind: AuditActorKind;
  id?: string;
  name?: string;
}

export const SYSTEM_ACTOR: AuditActor = Object.freeze({ kind: 'system', name: 'patchwarden' });

/** What the caller records. Never put secrets in `before`, `after` or `details`. */
export interface AuditEntryInput {
  actor: AuditActor;
  /** Dotted verb, e.g. `user.create`, `token.revoke`, `auth.login_failed`. */
  action: string;
  target?: { type: string; id?: string };
  before?: unknown;
  after?: unknown;
  details?: unknown;
}

export interface AuditEntry {
  seq: number;
  /** RFC 3339, millisecond precision. */
  at: string;
  actor: { kind: AuditActorKind; id: string | null; name: string | null };
  action: string;
  target: { type: string | null; id: string | null };
  before: JsonValue;
  after: JsonValue;
  details: JsonValue;
  prevHash: string;
  hash: string;
}

/** The `prev_hash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** SHA-256 over the canonical JSON of everything in the entry but its own hash. */
export function entryHash(entry: Omit<AuditEntry, 'hash'>): string {
  const hashed = {
    seq: entry.seq,
    at: entry.at,
    actor: entry.actor,
    action: entry.action,
    target: entry.target,
    before: entry.before,
    after: entry.after,
    details: entry.details,
    prev_hash: entry.prevHash,
  };
  return createHash('sha256')
    .update(canonicalJson(hashed as JsonValue), 'utf8')
    .digest('hex');
}

function text(value: string | undefined): string | null {
  return value === undefined ? null : storableText(value);
}

/** The entry exactly as it will be stored (JSON normalised as jsonb keeps it), hash included. */
export function sealEntry(input: AuditEntryInput, seq: number, at: Date, prevHash: string): AuditEntry {
  const unsealed: Omit<AuditEntry, 'hash'> = {
    seq,
    at: at.toISOString(),
    actor: { kind: input.actor.kind, id: text(input.actor.id), name: text(input.actor.name) },
    action: storableText(input.action),
    target: { type: text(input.target?.type), id: text(input.target?.id) },
    before: toJsonValue(input.before),
    after: toJsonValue(input.after),
    details: toJsonValue(input.details),
    prevHash,
  };
  return { ...unsealed, hash: entryHash(unsealed) };
}

export function entryFromRow(row: Selectable<AuditLogTable>): AuditEntry {
  return {
    seq: row.seq,
    at: row.at.toISOString(),
    actor: { kind: row.actor_kind, id: row.actor_id, name: row.actor_name },
    action: row.action,
    target: { type: row.target_type, id: row.target_id },
    before: (row.before ?? null) as JsonValue,
    after: (row.after ?? null) as JsonValue,
    details: (row.details ?? null) as JsonValue,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
