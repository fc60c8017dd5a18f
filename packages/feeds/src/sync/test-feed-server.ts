/**
 * Test support: a real HTTP server on the loopback interface whose routes each test sets, so the
 * sync is exercised over real sockets (keep-alive, aborted bodies, stalls) without the internet.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RouteHandler = (request: IncomingMessage, response: ServerResponse) => void;

export interface SeenRequest {
  path: string;
  headers: IncomingHttpHeaders;
}

export interface FeedServer {
  url(path: string): string;
  route(path: string, handler: RouteHandler): void;
  /** Requests received, in order. */
  readonly requests: SeenRequest[];
  requestsTo(path: string): SeenRequest[];
  close(): Promise<void>;
}

export async function startFeedServer(): Promise<FeedServer> {
  const routes = new Map<string, RouteHandler>();
  const requests: SeenRequest[] = [];
  const server = createServer((request, response) => {
    const path = request.url ?? '/';
    requests.push({ path, headers: request.headers });
    const handler = routes.get(path);
    if (handler) handler(request, response);
    else response.writeHead(404).end('no route');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    route: (path, handler) => void routes.set(path, handler),
    requests,
    requestsTo: (path) => requests.filter((r) => r.path === path),
    close: async () => {
      // Stalled test responses never end by themselves.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface ServedFile {
  body: Buffer;
  etag?: string;
  lastModified?: string;
  headers?: Record<string, string>;
}

/** A static file with HTTP conditional GET semantics (RFC 9110: If-None-Match wins over If-Modified-Since). */
export function serveFile(file: () => ServedFile): RouteHandler {
  return (request, response) => {
    const { body, etag, lastModified, headers = {} } = file();
    const validators: Record<string, string> = {
      ...(etag !== undefined ? { etag } : {}),
      ...(lastModified !== undefined ? { 'last-modified': lastModified } : {}),
    };
    const ifNoneMatch = request.headers['if-none-match'];
    const ifModifiedSince = request.headers['if-modified-since'];
    const notModified =
      ifNoneMatch !== undefined
        ? etag !== undefined && ifNoneMatch.split(',').some((tag) => tag.trim() === etag)
        : ifModifiedSince !== undefined &&
          lastModified !== undefined &&
          Date.parse(lastModified) <= Date.parse(ifModifiedSince);
    if (notModified) {
      response.writeHead(304, validators).end();
      return;
    }
    response.writeHead(200, { 'content-length': String(body.length), ...validators, ...headers }).end(body);
  };
}

/** Answers `status` for the first `times` requests, then hands over to `then`. */
export function failFirst(
  times: number,
  status: number,
  then: RouteHandler,
  headers: Record<string, string> = {},
) {
  let failed = 0;
  return (request: IncomingMessage, response: ServerResponse) => {
    if (failed < times) {
      failed++;
      response.writeHead(status, headers).end(`failure ${failed}`);
      return;
    }
    then(request, response);
  };
}
