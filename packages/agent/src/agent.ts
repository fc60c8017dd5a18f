import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentCheckinResponse, HostReport } from '@patchwarden/core';
import { pwError } from '@patchwarden/core';
import type { BackoffPolicy } from './backoff.ts';
import { DEFAULT_BACKOFF, backoffDelayMs, jitteredIntervalMs } from './backoff.ts';
import type { CollectOptions } from './collect/collect-options.ts';
import { collectOptions } from './collect/collect-options.ts';
import { collectHostReport } from './collect/collect-host-report.ts';
import { inventoryHash, inventoryUpload } from './inventory-hash.ts';
import type { AgentLogger } from './log.ts';
import { stderrLogger } from './log.ts';
import type { AgentState } from './state/agent-state.ts';
import { AgentStateStore } from './state/agent-state.ts';
import { InventoryOutbox } from './state/inventory-outbox.ts';
import { ensurePrivateDir } from './state/private-file.ts';
import { AgentClient } from './transport/agent-client.ts';
import { parsePin } from './transport/certificate-pin.ts';
import type { AgentTransportError } from './transport/transport-error.ts';
import { isTransportError } from './transport/transport-error.ts';
import { AGENT_VERSION } from './version.ts';

export interface AgentConfig {
  /** `https://patchwarden.example:8443` (plain http:// only to loopback). */
  server: string;
  /** Holds the credential (0600) and the outbox. */
  stateDir: string;
  /** Needed to enrol, and to enrol again when the server rejects the credential. */
  enrolmentSecret?: string;
  /** PEM bundle of the CAs that sign the server's certificate. */
  ca?: string | Buffer;
  /** `--pin-sha256` values: base64 SPKI hashes or hex certificate fingerprints. */
  pins?: readonly string[];
  /** Overrides the interval the server asks for. */
  intervalSeconds?: number;
  requestTimeoutMs?: number;
  backoff?: BackoffPolicy;
  collect?: Partial<CollectOptions>;
  /** One cycle (enrol if needed, check in, upload if needed), then return. */
  once?: boolean;
}

export interface RunAgentOptions {
  signal?: AbortSignal;
  log?: AgentLogger;
  /** Jitter source; tests pass a fixed one. */
  random?: () => number;
}

export interface AgentRunResult {
  cycles: number;
  /** Whether the last cycle reached the server and delivered what it had to. */
  ok: boolean;
  lastError?: AgentTransportError;
}

/** Before the server has said otherwise. */
const DEFAULT_INTERVAL_SECONDS = 300;

interface Collected {
  report: HostReport;
  hash: string;
  at: number;
}

/**
 * Enrols if the agent has no credential, then checks in every interval (±10 %), uploading the
 * inventory when it changed or the server asks, until `signal` aborts. Network and server
 * failures back off exponentially and never end the loop; configuration errors do (they throw).
 */
export async function runAgent(config: AgentConfig, options: RunAgentOptions = {}): Promise<AgentRunResult> {
  const loop = await AgentLoop.open(config, options);
  return loop.run();
}

class AgentLoop {
  readonly #config: AgentConfig;
  readonly #client: AgentClient;
  readonly #collect: CollectOptions;
  readonly #stateStore: AgentStateStore;
  readonly #outbox: InventoryOutbox;
  readonly #log: AgentLogger;
  readonly #random: () => number;
  readonly #signal: AbortSignal;
  #state: AgentState | undefined;
  #collected: Collected | undefined;

  private constructor(config: AgentConfig, options: RunAgentOptions, client: AgentClient) {
    this.#config = config;
    this.#client = client;
    this.#collect = collectOptions(config.collect);
    this.#stateStore = new AgentStateStore(config.stateDir);
    this.#outbox = new InventoryOutbox(config.stateDir);
    this.#log = options.log ?? stderrLogger();
    this.#random = options.random ?? Math.random;
    this.#signal = options.signal ?? new AbortController().signal;
  }

  static async open(config: AgentConfig, options: RunAgentOptions): Promise<AgentLoop> {
    const client = new AgentClient({
      server: config.server,
      tls: {
        ...(config.ca !== undefined ? { ca: config.ca } : {}),
        pins: (config.pins ?? []).map(parsePin),
      },
      ...(config.requestTimeoutMs !== undefined ? { timeoutMs: config.requestTimeoutMs } : {}),
    });
    const loop = new AgentLoop(config, options, client);
    await ensurePrivateDir(config.stateDir);
    loop.#state = await loop.#stateStore.load();
    if (loop.#state && loop.#state.server !== client.server) {
      if (!config.enrolmentSecret)
        throw pwError(
          'PW_ERR_USAGE',
          `${loop.#stateStore.path} holds a credential for ${loop.#state.server}, not ${client.server}; ` +
            'pass --enrolment-secret-file to enrol with the new server',
          { file: loop.#stateStore.path, field: 'server' },
        );
      loop.#log({
        level: 'warn',
        event: 'server-changed',
        message: 'the credential was issued by another server; enrolling again',
        previous: loop.#state.server,
        server: client.server,
      });
      loop.#state = undefined;
    }
    return loop;
  }

  async run(): Promise<AgentRunResult> {
    let cycles = 0;
    let failures = 0;
    let reenrolled = false;
    let lastError: AgentTransportError | undefined;
    while (!this.#signal.aborted) {
      cycles++;
      let waitMs: number;
      try {
        await this.#cycle(failures > 0);
        failures = 0;
        reenrolled = false;
        lastError = undefined;
        if (this.#config.once) break;
        waitMs = jitteredIntervalMs(this.#intervalSeconds(), this.#random);
      } catch (thrown) {
        if (!isTransportError(thrown)) throw thrown;
        if (this.#signal.aborted) break;
        lastError = thrown;
        if (thrown.status === 401 && this.#state && this.#config.enrolmentSecret && !reenrolled) {
          this.#log({
            level: 'warn',
            event: 're-enrol',
            message: 'the server rejected the credential; enrolling again',
            code: thrown.code,
          });
          this.#state = undefined;
          reenrolled = true;
          continue;
        }
        failures++;
        waitMs = backoffDelayMs(failures, this.#backoff(), this.#random, thrown.retryAfterMs);
        this.#log({
          level: thrown.transient ? 'warn' : 'error',
          event: 'backoff',
          message: `${thrown.message}; retrying in ${Math.round(waitMs / 1000)} s`,
          code: thrown.code,
          failures,
          waitMs,
          ...(thrown.status === 401 && !this.#config.enrolmentSecret
            ? { hint: 'credential rejected and no enrolment secret to enrol again' }
            : {}),
          ...(thrown.status === 403
            ? { hint: 'the server says this credential belongs to another host' }
            : {}),
        });
        if (this.#config.once) break;
      }
      try {
        await sleep(waitMs, undefined, { signal: this.#signal });
      } catch {
        break;
      }
    }
    if (this.#signal.aborted) this.#log({ level: 'info', event: 'stopped', message: 'stopped', cycles });
    const result: AgentRunResult = { cycles, ok: lastError === undefined };
    if (lastError) result.lastError = lastError;
    return result;
  }

  /** One round: collect (unless retrying soon after), queue a changed inventory, check in, upload. */
  async #cycle(retrying: boolean): Promise<void> {
    const current = await this.#current(retrying);
    await this.#queueIfChanged(current);
    const state = await this.#enrolled(current.report);
    const answer = await this.#client.checkin(
      state.credential,
      {
        agentId: state.agentId,
        inventoryHash: current.hash,
        facts: current.report.facts,
        uptimeSeconds: current.report.facts.uptimeSeconds,
        rebootRequired: current.report.facts.rebootRequired,
        agentVersion: AGENT_VERSION,
      },
      this.#signal,
    );
    await this.#noteInterval(state, answer);
    const queued = await this.#outbox.get((why) =>
      this.#log({ level: 'warn', event: 'outbox-damaged', message: why }),
    );
    const pending =
      queued ?? (answer.needInventory ? { inventoryHash: current.hash, report: current.report } : undefined);
    if (!pending) {
      this.#log({
        level: 'debug',
        event: 'heartbeat',
        message: 'checked in; inventory unchanged',
        hash: current.hash,
      });
      return;
    }
    const accepted = await this.#client.uploadInventory(
      state.credential,
      inventoryUpload(state.agentId, pending.inventoryHash, pending.report),
      this.#signal,
    );
    state.lastUploadedHash = pending.inventoryHash;
    state.lastUploadedAt = new Date().toISOString();
    await this.#stateStore.save(state);
    await this.#outbox.remove(pending.inventoryHash);
    this.#log({
      level: 'info',
      event: 'inventory-uploaded',
      message: `inventory delivered (${accepted.packages} packages)`,
      hash: pending.inventoryHash,
      requested: answer.needInventory,
    });
  }

  async #current(retrying: boolean): Promise<Collected> {
    const previous = this.#collected;
    if (retrying && previous && Date.now() - previous.at < this.#intervalSeconds() * 1000) return previous;
    const collected = await collectHostReport(this.#collect);
    if (collected.warnings.length > 0) {
      this.#log({
        level: 'debug',
        event: 'collect-warnings',
        message: `${collected.warnings.length} inputs skipped`,
        warnings: collected.warnings.slice(0, 20),
      });
    }
    const { report } = collected;
    this.#collected = { report, hash: inventoryHash(report.os, report.packages), at: Date.now() };
    return this.#collected;
  }

  /** The outbox holds the newest inventory the server has not accepted; an unchanged one is not queued. */
  async #queueIfChanged(current: Collected): Promise<void> {
    if (current.hash === this.#state?.lastUploadedHash) {
      // Changed and changed back while the server was away: what it holds is current again.
      await this.#outbox.remove();
      return;
    }
    const queued = await this.#outbox.get();
    if (queued?.inventoryHash === current.hash) return;
    await this.#outbox.put({
      inventoryHash: current.hash,
      report: current.report,
      queuedAt: new Date().toISOString(),
    });
    this.#log({
      level: 'info',
      event: 'inventory-queued',
      message: `inventory changed (${current.report.packages.length} packages); queued for upload`,
      hash: current.hash,
    });
  }

  async #enrolled(report: HostReport): Promise<AgentState> {
    if (this.#state) return this.#state;
    const secret = this.#config.enrolmentSecret;
    if (!secret)
      throw pwError(
        'PW_ERR_USAGE',
        `not enrolled (no credential in ${this.#stateStore.path}) and no enrolment secret: pass --enrolment-secret-file`,
        { field: 'enrolment-secret-file' },
      );
    const enrolled = await this.#client.enrol(
      { enrolmentSecret: secret, hostname: report.facts.hostname, facts: report.facts },
      this.#signal,
    );
    const state: AgentState = {
      server: this.#client.server,
      agentId: enrolled.agentId,
      assetId: enrolled.assetId,
      credential: enrolled.credential,
      enrolledAt: new Date().toISOString(),
      checkinIntervalSeconds: enrolled.checkinIntervalSeconds,
    };
    await this.#stateStore.save(state);
    this.#state = state;
    this.#log({
      level: 'info',
      event: 'enrolled',
      message: `enrolled as agent ${enrolled.agentId}`,
      agentId: enrolled.agentId,
      assetId: enrolled.assetId,
    });
    return state;
  }

  async #noteInterval(state: AgentState, answer: AgentCheckinResponse): Promise<void> {
    if (answer.checkinIntervalSeconds === state.checkinIntervalSeconds) return;
    state.checkinIntervalSeconds = answer.checkinIntervalSeconds;
    await this.#stateStore.save(state);
  }

  #intervalSeconds(): number {
    return this.#config.intervalSeconds ?? this.#state?.checkinIntervalSeconds ?? DEFAULT_INTERVAL_SECONDS;
  }

  #backoff(): BackoffPolicy {
    return this.#config.backoff ?? DEFAULT_BACKOFF;
  }
}
