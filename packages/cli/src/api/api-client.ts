import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ERROR_CODES, PatchwardenError, pwError } from '@patchwarden/core';
import type { ErrorCode, ErrorDetails } from '@patchwarden/core';
import { Agent } from 'undici';
import type { Dispatcher } from 'undici';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | undefined;

export interface ApiClientOptions {
  /** Base URL of the server, e.g. `https://patchwarden.example.com:8443`. */
  server: string;
  /** Bearer API token (`pwt_...`); absent for the few public routes (sign-in). */
  token?: string;
  /** PEM file of the CA that signed the server's certificate (else the system store, plus NODE_EXTRA_CA_CERTS). */
  caFile?: string;
  /** Extra headers on every request (the session cookie and CSRF token during `login`). */
  headers?: Record<string, string>;
}

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
  headers?: Record<string, string>;
}

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/** The server's `{ code, message, details }` answer as the PatchwardenError it was on the server. */
export function errorFromResponse(status: number, text: string, url: string): PatchwardenError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (body && typeof body === 'object' && isErrorCode((body as { code?: unknown }).code)) {
    const { code, message, details } = body as { code: ErrorCode; message?: unknown; details?: unknown };
    const copy: ErrorDetails = {
      ...(details && typeof details === 'object' ? (details as ErrorDetails) : {}),
    };
    // A schema failure names its field in details.issues: lift the first one so the CLI prints it.
    const issues = copy['issues'];
    if (copy.field === undefined && Array.isArray(issues) && issues.length > 0) {
      const first = issues[0] as { path?: unknown; message?: unknown };
      if (typeof first.path === 'string') copy.field = first.path;
    }
    const text = typeof message === 'string' ? message : code;
    const first =
      Array.isArray(issues) && issues.length > 0 ? (issues[0] as { message?: unknown }).message : undefined;
    // Policy errors already say their first issue in the message: print it once.
    const detail = typeof first === 'string' && !text.includes(first) ? `: ${first}` : '';
    return new PatchwardenError(code, `${text}${detail}`, copy);
  }
  const code: ErrorCode =
    status === 401
      ? 'PW_ERR_UNAUTHENTICATED'
      : status === 403
        ? 'PW_ERR_FORBIDDEN'
        : status === 404
          ? 'PW_ERR_NOT_FOUND'
          : status >= 500
            ? 'PW_ERR_INTERNAL'
            : 'PW_ERR_BAD_REQUEST';
  return pwError(code, `HTTP ${status} from ${url}${text ? `: ${text.slice(0, 200)}` : ''}`, { status });
}

/** Base URL check: the CLI sends a bearer token to it, so it must be http(s) and nothing else. */
export function normaliseServerUrl(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw pwError('PW_ERR_USAGE', `Not a server URL: ${server}`, { field: 'server' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw pwError('PW_ERR_USAGE', `The server URL must start with https:// or http://: ${server}`, {
      field: 'server',
    });
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

/** A small typed client of the Patchwarden REST API (`/api/v1`), on Node's fetch. */
export class ApiClient {
  readonly server: string;
  readonly #token: string | undefined;
  readonly #headers: Record<string, string>;
  readonly #dispatcher: Dispatcher | undefined;

  constructor(options: ApiClientOptions) {
    this.server = normaliseServerUrl(options.server);
    this.#token = options.token;
    this.#headers = options.headers ?? {};
    if (options.caFile !== undefined) {
      let ca: string;
      try {
        ca = readFileSync(options.caFile, 'utf8');
      } catch (error) {
        throw pwError(
          'PW_ERR_FILE_NOT_FOUND',
          `Cannot read the CA file ${options.caFile}`,
          { file: options.caFile },
          error,
        );
      }
      this.#dispatcher = new Agent({ connect: { ca } });
    }
  }

  url(path: string, query: Record<string, QueryValue> = {}): string {
    const url = new URL(`${this.server}/api/v1${path}`);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  /** Sends one request; a non-2xx answer becomes the PatchwardenError the server described. */
  async send(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = this.url(path, options.query);
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...this.#headers,
      ...options.headers,
    };
    if (this.#token !== undefined) headers['authorization'] = `Bearer ${this.#token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    }
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body,
        redirect: 'error',
        // undici's dispatcher option is not in the DOM RequestInit type.
        ...(this.#dispatcher ? ({ dispatcher: this.#dispatcher } as object) : {}),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (error as Error).message;
      throw pwError(
        'PW_ERR_BAD_REQUEST',
        `Cannot reach the Patchwarden server at ${this.server} (${reason})`,
        {
          server: this.server,
          reason,
        },
        error,
      );
    }
    if (!response.ok) throw errorFromResponse(response.status, await response.text(), url);
    return response;
  }

  /** A JSON request; 204 answers resolve to undefined. */
  async request<T>(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    try {
      return (text === '' ? undefined : JSON.parse(text)) as T;
    } catch (error) {
      throw pwError(
        'PW_ERR_PARSE',
        `The server answered ${method} ${path} with something that is not JSON`,
        {},
        error,
      );
    }
  }

  get<T>(path: string, query?: Record<string, QueryValue>): Promise<T> {
    return this.request<T>('GET', path, query ? { query } : {});
  }

  /** The body as a Node stream, for exports that should not be held in memory. */
  async stream(path: string, query?: Record<string, QueryValue>): Promise<Readable> {
    const response = await this.send('GET', path, query ? { query, headers: { accept: '*/*' } } : {});
    if (!response.body) return Readable.from([]);
    return Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  }

  async close(): Promise<void> {
    await this.#dispatcher?.close();
  }
}
