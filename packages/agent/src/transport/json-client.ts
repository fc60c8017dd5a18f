import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { request } from 'node:http';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import type { CertificatePin } from './certificate-pin.ts';
import { leafMatchesPins } from './certificate-pin.ts';
import { endpointUrl, parseServerUrl } from './server-url.ts';
import { AgentTransportError } from './transport-error.ts';

export interface TlsTrust {
  /** PEM bundle of the CAs that may sign the server's certificate (instead of the system's). */
  ca?: string | Buffer;
  /** Accept the server only if its certificate matches one of these (several: for a key rollover). */
  pins?: readonly CertificatePin[];
}

export interface JsonClientOptions {
  server: string;
  tls?: TlsTrust;
  /** Whole request, connection and TLS handshake included. */
  timeoutMs?: number;
  userAgent: string;
  maxResponseBytes?: number;
}

export interface JsonRequest {
  method: 'POST' | 'PUT';
  path: string;
  /** Sent as JSON, unless `text` is given. */
  body: unknown;
  /** A body sent as is, in this media type, instead of `body` as JSON (answers are still JSON). */
  text?: { mediaType: string; content: string };
  bearer?: string;
  signal?: AbortSignal;
}

export interface JsonResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
}

const NETWORK_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ETIMEDOUT',
  'EADDRNOTAVAIL',
]);

/**
 * JSON requests to the Patchwarden server over Node's own http/tls, one connection per request
 * (an agent talks every few minutes; keep-alive would only hold sockets open).
 *
 * With a pin, the TLS connection is made first and its certificate checked before the socket is
 * handed to the HTTP request, so not one byte of the request (the bearer credential) is written
 * to a server that fails the check.
 */
export class JsonClient {
  readonly #base: URL;
  readonly #ca: string | Buffer | undefined;
  readonly #pins: readonly CertificatePin[];
  readonly #timeoutMs: number;
  readonly #userAgent: string;
  readonly #maxResponseBytes: number;

  constructor(options: JsonClientOptions) {
    this.#base = parseServerUrl(options.server);
    this.#ca = options.tls?.ca;
    this.#pins = Object.freeze([...(options.tls?.pins ?? [])]);
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#userAgent = options.userAgent;
    this.#maxResponseBytes = options.maxResponseBytes ?? 1024 * 1024;
  }

  get server(): URL {
    return new URL(this.#base.href);
  }

  /** Resolves with a 2xx answer; anything else rejects with an AgentTransportError. */
  send(req: JsonRequest): Promise<JsonResponse> {
    const url = endpointUrl(this.#base, req.path);
    const payload = Buffer.from(req.text ? req.text.content : JSON.stringify(req.body), 'utf8');
    const headers: Record<string, string | number> = {
      'content-type': req.text ? req.text.mediaType : 'application/json',
      'content-length': payload.length,
      accept: 'application/json',
      'user-agent': this.#userAgent,
    };
    if (req.bearer !== undefined) headers.authorization = `Bearer ${req.bearer}`;
    const secure = url.protocol === 'https:';
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port || (secure ? 443 : 80));
    const where = { method: req.method, url: url.href };

    const stopped = (): AgentTransportError =>
      new AgentTransportError({
        failure: 'aborted',
        message: `${req.method} ${url.href}: stopped`,
        details: where,
      });
    if (req.signal?.aborted) return Promise.reject(stopped());

    return new Promise<JsonResponse>((resolve, reject) => {
      let settled = false;
      // Every path into finish() is asynchronous, so the constants below exist by the time it runs.
      const finish = (error: AgentTransportError | undefined, response?: JsonResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        if (error) {
          outgoing.destroy();
          reject(error);
        } else if (response) resolve(response);
      };

      const onResponse = (res: IncomingMessage): void => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > this.#maxResponseBytes) {
            finish(
              new AgentTransportError({
                failure: 'protocol',
                message: `${req.method} ${url.href}: answer larger than ${this.#maxResponseBytes} bytes`,
                details: where,
              }),
            );
            res.destroy();
          } else chunks.push(chunk);
        });
        res.on('error', (cause) => finish(classifyError(cause, req.method, url)));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          let parsed = true;
          try {
            body = text === '' ? undefined : JSON.parse(text);
          } catch {
            parsed = false;
          }
          if (status >= 200 && status < 300) {
            if (!parsed)
              return finish(
                new AgentTransportError({
                  failure: 'protocol',
                  message: `${req.method} ${url.href}: ${status} answer is not JSON`,
                  status,
                  details: where,
                }),
              );
            return finish(undefined, { status, headers: res.headers, body });
          }
          finish(httpError(status, parsed ? body : undefined, res.headers, req.method, url));
        });
      };

      const outgoing: ClientRequest = request(
        {
          protocol: 'http:',
          host,
          port,
          path: `${url.pathname}${url.search}`,
          method: req.method,
          headers,
          ...(secure ? { createConnection: this.#connectTls(host, port) } : { agent: false as const }),
        },
        onResponse,
      );
      outgoing.on('error', (cause) => finish(classifyError(cause, req.method, url)));
      const timer = setTimeout(
        () =>
          finish(
            new AgentTransportError({
              failure: 'timeout',
              message: `${req.method} ${url.href}: no answer within ${this.#timeoutMs} ms`,
              details: where,
            }),
          ),
        this.#timeoutMs,
      );
      const onAbort = (): void => finish(stopped());
      req.signal?.addEventListener('abort', onAbort, { once: true });
      outgoing.end(payload);
    });
  }

  /**
   * The socket factory for HTTPS: verifies the chain against `ca` (or the system store) unless
   * only pins are given, in which case the pin alone decides (a self-signed server certificate).
   */
  #connectTls(host: string, port: number) {
    const ca = this.#ca;
    const pins = this.#pins;
    const timeoutMs = this.#timeoutMs;
    return (_options: unknown, callback: (error: Error | null, socket: Duplex) => void): undefined => {
      const socket = tlsConnect({
        host,
        port,
        ...(isIP(host) === 0 ? { servername: host } : {}),
        ...(ca !== undefined ? { ca } : {}),
        rejectUnauthorized: pins.length === 0 || ca !== undefined,
        minVersion: 'TLSv1.2',
        ALPNProtocols: ['http/1.1'],
      });
      let tcpConnected = false;
      socket.once('connect', () => {
        tcpConnected = true;
      });
      // Until the socket is handed over, nothing else would ever close a peer that stalls the handshake.
      socket.setTimeout(timeoutMs, () =>
        socket.destroy(
          Object.assign(new Error(`no TLS handshake within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }),
        ),
      );
      const onError = (cause: Error): void => {
        socket.destroy();
        const code = (cause as { code?: unknown }).code;
        // Node ignores the socket when an error is given; it is passed only to satisfy the type.
        callback(
          tcpConnected && !NETWORK_ERRORS.has(String(code))
            ? new AgentTransportError({
                failure: 'tls',
                message: `TLS with ${host}:${port} failed: ${cause.message}`,
                details: { host, port, reason: String(code ?? cause.message) },
                cause,
              })
            : cause,
          socket,
        );
      };
      socket.once('error', onError);
      socket.once('secureConnect', () => {
        socket.setTimeout(0);
        socket.off('error', onError);
        if (pins.length > 0) {
          const leaf = socket.getPeerCertificate();
          if (!leaf.raw || !leafMatchesPins(leaf.raw, pins)) {
            socket.destroy();
            callback(
              new AgentTransportError({
                failure: 'tls',
                message: `TLS with ${host}:${port}: the server certificate matches no pinned SHA-256`,
                details: { host, port, reason: 'PIN_MISMATCH', fingerprint256: leaf.fingerprint256 },
              }),
              socket,
            );
            return;
          }
        }
        callback(null, socket);
      });
      return undefined;
    };
  }
}

function classifyError(cause: unknown, method: string, url: URL): AgentTransportError {
  if (cause instanceof AgentTransportError) return cause;
  const code = String((cause as { code?: unknown }).code ?? '');
  const message = cause instanceof Error ? cause.message : String(cause);
  return new AgentTransportError({
    failure: 'unreachable',
    message: `${method} ${url.href}: ${message}`,
    details: { method, url: url.href, reason: code || message },
    cause,
  });
}

function httpError(
  status: number,
  body: unknown,
  headers: IncomingHttpHeaders,
  method: string,
  url: URL,
): AgentTransportError {
  const structured = isErrorBody(body) ? body : undefined;
  const retryAfterMs = parseRetryAfter(headers['retry-after']);
  return new AgentTransportError({
    failure: 'http',
    status,
    ...(structured ? { code: structured.code } : {}),
    message: `${method} ${url.href}: ${status}${structured ? ` ${structured.code}: ${structured.message}` : ''}`,
    details: {
      method,
      url: url.href,
      status,
      ...(structured?.details ? { server: structured.details } : {}),
    },
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

function isErrorBody(body: unknown): body is { code: string; message: string; details?: unknown } {
  if (typeof body !== 'object' || body === null) return false;
  const { code, message } = body as { code?: unknown; message?: unknown };
  return typeof code === 'string' && typeof message === 'string';
}

/** RFC 9110: delay-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
