/**
 * Why a request to the server did not succeed. `unreachable`, `timeout` and HTTP 429/5xx are
 * transient (back off and retry); `tls` means the server is not who it should be; `http` carries
 * the server's own `{code, message, details}`; `protocol` is an answer this agent cannot read.
 */
export type TransportFailure = 'unreachable' | 'timeout' | 'tls' | 'http' | 'protocol' | 'aborted';

/**
 * Agent-side codes. Server answers keep the server's `PW_ERR_*` code; an answer without a
 * readable body gets `PW_ERR_AGENT_HTTP_<status>`.
 */
const CODES: Readonly<Record<Exclude<TransportFailure, 'http'>, string>> = {
  unreachable: 'PW_ERR_AGENT_UNREACHABLE',
  timeout: 'PW_ERR_AGENT_TIMEOUT',
  tls: 'PW_ERR_AGENT_TLS',
  protocol: 'PW_ERR_AGENT_PROTOCOL',
  aborted: 'PW_ERR_AGENT_ABORTED',
};

export interface TransportErrorInit {
  failure: TransportFailure;
  message: string;
  code?: string;
  status?: number;
  details?: Record<string, unknown>;
  retryAfterMs?: number;
  cause?: unknown;
}

export class AgentTransportError extends Error {
  override readonly name = 'AgentTransportError';
  readonly failure: TransportFailure;
  readonly code: string;
  /** HTTP status, for `http` failures. */
  readonly status: number | undefined;
  readonly details: Record<string, unknown>;
  /** From the server's Retry-After header, when it sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(init: TransportErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.failure = init.failure;
    this.status = init.status;
    this.code =
      init.code ?? (init.failure === 'http' ? `PW_ERR_AGENT_HTTP_${init.status ?? 0}` : CODES[init.failure]);
    this.details = init.details ?? {};
    this.retryAfterMs = init.retryAfterMs;
  }

  /** Worth retrying unchanged later: the network, a timeout, or the server saying "not now". */
  get transient(): boolean {
    if (this.failure === 'unreachable' || this.failure === 'timeout') return true;
    return this.failure === 'http' && (this.status === 429 || (this.status ?? 0) >= 500);
  }

  toJSON(): { code: string; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isTransportError(thrown: unknown): thrown is AgentTransportError {
  return thrown instanceof AgentTransportError;
}
