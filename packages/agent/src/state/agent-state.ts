import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pwError } from '@patchwarden/core';
import { writePrivateFileAtomic } from './private-file.ts';

/** Who this agent is for the server, and what the server already holds. */
export interface AgentState {
  /** The server that issued the credential; a credential is never sent to another one. */
  server: string;
  agentId: string;
  assetId: string;
  credential: string;
  enrolledAt: string;
  checkinIntervalSeconds: number;
  /** Hash of the last inventory the server accepted. */
  lastUploadedHash?: string;
  lastUploadedAt?: string;
}

export const STATE_FILE = 'state.json';

const FORMAT = 1;

export class AgentStateStore {
  readonly path: string;

  constructor(stateDir: string) {
    this.path = join(stateDir, STATE_FILE);
  }

  /** Undefined when the agent has never enrolled; a damaged file is an error naming the field. */
  async load(): Promise<AgentState | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (cause) {
      if ((cause as { code?: unknown }).code === 'ENOENT') return undefined;
      throw pwError('PW_ERR_PARSE', `${this.path}: cannot be read`, { file: this.path }, cause);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (cause) {
      throw pwError(
        'PW_ERR_PARSE',
        `${this.path}: not JSON; delete it to enrol again`,
        { file: this.path },
        cause,
      );
    }
    return validateState(raw, this.path);
  }

  async save(state: AgentState): Promise<void> {
    await writePrivateFileAtomic(this.path, `${JSON.stringify({ format: FORMAT, ...state }, null, 2)}\n`);
  }
}

function validateState(raw: unknown, file: string): AgentState {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw pwError('PW_ERR_INVALID_RECORD', `${file}: not a JSON object`, { file });
  const record = raw as Record<string, unknown>;
  if (record.format !== FORMAT)
    throw pwError('PW_ERR_INVALID_RECORD', `${file}: unknown state format ${String(record.format)}`, {
      file,
      field: 'format',
    });
  const text = (field: keyof AgentState): string => {
    const value = record[field];
    if (typeof value !== 'string' || value === '')
      throw pwError('PW_ERR_INVALID_RECORD', `${file}: ${field} must be a non-empty string`, { file, field });
    return value;
  };
  const interval = record.checkinIntervalSeconds;
  if (typeof interval !== 'number' || !(interval > 0))
    throw pwError('PW_ERR_INVALID_RECORD', `${file}: checkinIntervalSeconds must be a positive number`, {
      file,
      field: 'checkinIntervalSeconds',
    });
  const state: AgentState = {
    server: text('server'),
    agentId: text('agentId'),
    assetId: text('assetId'),
    credential: text('credential'),
    enrolledAt: text('enrolledAt'),
    checkinIntervalSeconds: interval,
  };
  if (record.lastUploadedHash !== undefined) state.lastUploadedHash = text('lastUploadedHash');
  if (record.lastUploadedAt !== undefined) state.lastUploadedAt = text('lastUploadedAt');
  return state;
}
