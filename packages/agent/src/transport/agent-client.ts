import type {
  AgentCheckinRequest,
  AgentCheckinResponse,
  AgentEnrolRequest,
  AgentEnrolResponse,
  AgentInventoryRequest,
  AgentInventoryResponse,
} from '@patchwarden/core';
import { AGENT_PROTOCOL_PATHS, INVENTORY_TEXT_MEDIA_TYPE, inventoryTextBody } from '@patchwarden/core';
import { AGENT_VERSION } from '../version.ts';
import type { JsonResponse, TlsTrust } from './json-client.ts';
import { JsonClient } from './json-client.ts';
import { AgentTransportError } from './transport-error.ts';

export interface AgentClientOptions {
  server: string;
  tls?: TlsTrust;
  timeoutMs?: number;
}

/** A check-in interval longer than a day is a server bug; the agent would look dead for that long. */
const MAX_INTERVAL_SECONDS = 86_400;

/** The three calls of the agent protocol, with every answer checked before it is believed. */
export class AgentClient {
  readonly #http: JsonClient;
  /** False once the server refused INVENTORY_TEXT_MEDIA_TYPE (415). */
  #textUploads = true;

  constructor(options: AgentClientOptions) {
    this.#http = new JsonClient({
      server: options.server,
      userAgent: `patchwarden-agent/${AGENT_VERSION}`,
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
  }

  /** The normalised server URL, as stored with the credential it issued. */
  get server(): string {
    return this.#http.server.href;
  }

  async enrol(body: AgentEnrolRequest, signal?: AbortSignal): Promise<AgentEnrolResponse> {
    const res = await this.#http.send({
      method: 'POST',
      path: AGENT_PROTOCOL_PATHS.enrol,
      body,
      ...opt(signal),
    });
    const read = reader(res, 'enrol');
    return {
      agentId: read.string('agentId'),
      assetId: read.string('assetId'),
      credential: read.string('credential'),
      checkinIntervalSeconds: read.interval('checkinIntervalSeconds'),
    };
  }

  async checkin(
    credential: string,
    body: AgentCheckinRequest,
    signal?: AbortSignal,
  ): Promise<AgentCheckinResponse> {
    const res = await this.#http.send({
      method: 'POST',
      path: AGENT_PROTOCOL_PATHS.checkin,
      body,
      bearer: credential,
      ...opt(signal),
    });
    const read = reader(res, 'checkin');
    return {
      needInventory: read.boolean('needInventory'),
      checkinIntervalSeconds: read.interval('checkinIntervalSeconds'),
    };
  }

  /**
   * An inventory given as its canonical text goes as INVENTORY_TEXT_MEDIA_TYPE (no JSON escaping
   * of the text, which the server then need not unescape); a server that answers 415 to it (one
   * older than that form) is sent the same upload as JSON, and is not asked again.
   */
  async uploadInventory(
    credential: string,
    body: AgentInventoryRequest,
    signal?: AbortSignal,
  ): Promise<AgentInventoryResponse> {
    const request = {
      method: 'PUT',
      path: AGENT_PROTOCOL_PATHS.inventory,
      body,
      bearer: credential,
      ...opt(signal),
    } as const;
    let res: JsonResponse;
    if ('inventory' in body && this.#textUploads) {
      try {
        const content = inventoryTextBody(body, body.inventory);
        res = await this.#http.send({ ...request, text: { mediaType: INVENTORY_TEXT_MEDIA_TYPE, content } });
      } catch (error) {
        if (!(error instanceof AgentTransportError && error.failure === 'http' && error.status === 415))
          throw error;
        this.#textUploads = false;
        res = await this.#http.send(request);
      }
    } else {
      res = await this.#http.send(request);
    }
    const read = reader(res, 'inventory');
    if (read.boolean('accepted') !== true) throw read.invalid('accepted', 'must be true on a 200 answer');
    return { accepted: true, packages: read.count('packages') };
  }
}

function opt(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal ? { signal } : {};
}

function reader(res: JsonResponse, call: string) {
  const body = (typeof res.body === 'object' && res.body !== null ? res.body : {}) as Record<string, unknown>;
  const invalid = (field: string, why: string): AgentTransportError =>
    new AgentTransportError({
      failure: 'protocol',
      code: 'PW_ERR_AGENT_PROTOCOL',
      message: `${call}: the server's answer does not follow the agent protocol: ${field} ${why}`,
      status: res.status,
      details: { call, field },
    });
  return {
    invalid,
    string(field: string): string {
      const value = body[field];
      if (typeof value !== 'string' || value === '') throw invalid(field, 'must be a non-empty string');
      return value;
    },
    boolean(field: string): boolean {
      const value = body[field];
      if (typeof value !== 'boolean') throw invalid(field, 'must be a boolean');
      return value;
    },
    count(field: string): number {
      const value = body[field];
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
        throw invalid(field, 'must be a non-negative integer');
      return value;
    },
    interval(field: string): number {
      const value = body[field];
      if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_INTERVAL_SECONDS)
        throw invalid(field, `must be a number of seconds in (0, ${MAX_INTERVAL_SECONDS}]`);
      return value;
    },
  };
}
