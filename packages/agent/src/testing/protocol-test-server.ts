import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { AgentInventoryRequest } from '@patchwarden/core';
import {
  AGENT_PROTOCOL_PATHS,
  canonicalInventoryText,
  INVENTORY_TEXT_MEDIA_TYPE,
  splitCanonicalInventory,
} from '@patchwarden/core';

/**
 * The server side of the agent protocol, small and strict, for tests over real sockets on
 * 127.0.0.1: it checks the enrolment secret, the bearer credential, that the agent acts for
 * itself, and recomputes every uploaded inventory's hash from its content.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  agentId?: string;
  body: Record<string, unknown>;
}

interface EnrolledAgent {
  agentId: string;
  assetId: string;
  credential: string;
  hostname: string;
}

export interface ProtocolTestServerOptions {
  tls?: { key: string; cert: string };
  enrolmentSecret: string;
  checkinIntervalSeconds: number;
  port?: number;
}

export class ProtocolTestServer {
  readonly requests: RecordedRequest[] = [];
  /** Inventory hash the server holds per agent (what `needInventory` is decided on). */
  readonly inventories = new Map<
    string,
    { hash: string; packages: number; collectedAt: string; form: 'text' | 'objects' }
  >();
  /** Answer the next N requests with this status (503: "server down but reachable"). */
  failNext: { count: number; status: number; retryAfter?: string } | undefined;
  /** False: answer 415 to INVENTORY_TEXT_MEDIA_TYPE uploads, as a server without that form would. */
  acceptTextUploads = true;
  /** Uploads received in INVENTORY_TEXT_MEDIA_TYPE. */
  textUploads = 0;
  readonly #options: ProtocolTestServerOptions;
  readonly #agents = new Map<string, EnrolledAgent>();
  #server: Server | undefined;
  #port = 0;

  constructor(options: ProtocolTestServerOptions) {
    this.#options = options;
    this.#port = options.port ?? 0;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `${this.#options.tls ? 'https' : 'http'}://127.0.0.1:${this.#port}`;
  }

  get running(): boolean {
    return this.#server !== undefined;
  }

  count(path: string): number {
    return this.requests.filter((r) => r.path === path && r.status < 300).length;
  }

  /** Forget every credential, as a server whose agent table was reset: agents get 401. */
  revokeCredentials(): void {
    this.#agents.clear();
  }

  async start(): Promise<this> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.#handle(req, res);
    const server = this.#options.tls
      ? createHttpsServer({ key: this.#options.tls.key, cert: this.#options.tls.cert }, handler)
      : createHttpServer(handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
    return this;
  }

  /** Stops listening: clients now get "connection refused" on this port. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: Record<string, unknown> = {};
    const path = req.url ?? '';
    const answer = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      this.requests.push({
        method: req.method ?? '',
        path,
        status,
        body,
        ...(typeof body.agentId === 'string' ? { agentId: body.agentId } : {}),
      });
      res.writeHead(status, { 'content-type': 'application/json', connection: 'close', ...headers });
      res.end(JSON.stringify(payload));
    };
    const error = (status: number, code: string, message: string): void =>
      answer(status, { code, message, details: {} });
    try {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (req.headers['content-type'] === INVENTORY_TEXT_MEDIA_TYPE) {
        // The envelope line, then the canonical text: read as the JSON form's `inventory`.
        if (!this.acceptTextUploads) return error(415, 'PW_ERR_UNSUPPORTED_MEDIA_TYPE', 'JSON only');
        const newline = raw.indexOf('\n');
        if (newline < 0) return error(400, 'PW_ERR_PARSE', 'no envelope line');
        body = {
          ...(JSON.parse(raw.slice(0, newline)) as Record<string, unknown>),
          inventory: raw.slice(newline + 1),
        };
        this.textUploads++;
      } else {
        body = JSON.parse(raw) as Record<string, unknown>;
      }
    } catch {
      return error(400, 'PW_ERR_PARSE', 'body is not JSON');
    }
    if (this.failNext && this.failNext.count > 0) {
      this.failNext.count--;
      return answer(
        this.failNext.status,
        { code: 'PW_ERR_DATABASE', message: 'unavailable', details: {} },
        this.failNext.retryAfter === undefined ? {} : { 'retry-after': this.failNext.retryAfter },
      );
    }
    if (req.method === 'POST' && path === AGENT_PROTOCOL_PATHS.enrol) return this.#enrol(body, answer, error);
    const agent = this.#authenticate(req);
    if (path !== AGENT_PROTOCOL_PATHS.checkin && path !== AGENT_PROTOCOL_PATHS.inventory)
      return error(404, 'PW_ERR_NOT_FOUND', `no route ${req.method} ${path}`);
    if (!agent) return error(401, 'PW_ERR_UNAUTHENTICATED', 'credential rejected');
    if (body.agentId !== agent.agentId) return error(403, 'PW_ERR_FORBIDDEN', 'acting for another agent');
    if (req.method === 'POST' && path === AGENT_PROTOCOL_PATHS.checkin) {
      if (typeof body.inventoryHash !== 'string' || typeof body.facts !== 'object')
        return error(400, 'PW_ERR_INVALID_RECORD', 'checkin without inventoryHash or facts');
      const held = this.inventories.get(agent.agentId)?.hash;
      return answer(200, {
        needInventory: held !== body.inventoryHash,
        checkinIntervalSeconds: this.#options.checkinIntervalSeconds,
      });
    }
    if (req.method === 'PUT' && path === AGENT_PROTOCOL_PATHS.inventory) {
      const upload = body as unknown as AgentInventoryRequest;
      if (typeof upload.collectedAt !== 'string')
        return error(400, 'PW_ERR_INVALID_RECORD', 'inventory without collectedAt');
      // The server's two forms: the canonical text (what the agent sends), or os + packages objects.
      let text: string;
      let packages: number;
      if ('inventory' in upload && typeof upload.inventory === 'string') {
        try {
          packages = splitCanonicalInventory(upload.inventory).packageLines.length;
        } catch (thrown) {
          return error(400, 'PW_ERR_INVALID_RECORD', (thrown as Error).message);
        }
        text = upload.inventory;
      } else if ('packages' in upload && Array.isArray(upload.packages) && typeof upload.os === 'object') {
        text = canonicalInventoryText(upload.os, upload.packages);
        packages = upload.packages.length;
      } else {
        return error(400, 'PW_ERR_INVALID_RECORD', 'inventory without inventory text or os and packages');
      }
      const hash = `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
      if (hash !== upload.inventoryHash)
        return error(400, 'PW_ERR_INVALID_RECORD', 'inventoryHash does not match');
      this.inventories.set(agent.agentId, {
        hash,
        packages,
        collectedAt: upload.collectedAt,
        form: 'inventory' in upload ? 'text' : 'objects',
      });
      return answer(200, { accepted: true, packages });
    }
    return error(405, 'PW_ERR_METHOD', `${req.method} not allowed on ${path}`);
  }

  #enrol(
    body: Record<string, unknown>,
    answer: (status: number, payload: unknown) => void,
    error: (status: number, code: string, message: string) => void,
  ): void {
    if (body.enrolmentSecret !== this.#options.enrolmentSecret)
      return error(401, 'PW_ERR_UNAUTHENTICATED', 'enrolment secret rejected');
    if (typeof body.hostname !== 'string' || typeof body.facts !== 'object')
      return error(400, 'PW_ERR_INVALID_RECORD', 'enrol without hostname or facts');
    const n =
      this.requests.filter((r) => r.path === AGENT_PROTOCOL_PATHS.enrol && r.status === 201).length + 1;
    const agent: EnrolledAgent = {
      agentId: `agent-${n}`,
      assetId: `asset-${n}`,
      credential: randomBytes(24).toString('base64url'),
      hostname: body.hostname,
    };
    this.#agents.set(agent.credential, agent);
    answer(201, {
      agentId: agent.agentId,
      assetId: agent.assetId,
      credential: agent.credential,
      checkinIntervalSeconds: this.#options.checkinIntervalSeconds,
    });
  }

  #authenticate(req: IncomingMessage): EnrolledAgent | undefined {
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    return match?.[1] ? this.#agents.get(match[1]) : undefined;
  }
}
