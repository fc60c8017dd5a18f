import { readFile } from 'node:fs/promises';
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyPluginCallback,
  type RawServerDefault,
} from 'fastify';
import { serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { DestinationStream, LoggerOptions } from 'pino';
import { attachErrorResponses } from '../errors/error-response-schema.ts';
import { installErrorHandling } from '../errors/error-handler.ts';
import { registerHealthRoutes, type ReadinessCheck } from '../health/health-routes.ts';
import { registerHttpMetrics, type MetricsOptions } from '../metrics/http-metrics.ts';
import { registerOpenApi, registerOpenApiRoute } from '../openapi/openapi.ts';
import { registerVersionRoute } from '../version/version-route.ts';
import { DEFAULT_RATE_LIMIT, isRateLimited, registerRateLimit, type RateLimitOptions } from './rate-limit.ts';
import { REQUEST_ID_HEADER, requestIdFor } from './request-id.ts';
import { registerSecurityHeaders } from './security-headers.ts';
import { SERVER_VERSION } from './server-version.ts';
import { systemClock, type PatchwardenServices } from './services.ts';
import { zodValidatorCompiler } from './zod-validator-compiler.ts';
import { installJsonBodyParser } from './json-body-parser.ts';

export const API_PREFIX = '/api/v1';
export const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024 * 1024;
export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;

/** Credentials that must never reach a log line, should a plugin log request or response headers. */
const REDACTED_PATHS = ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'];

/**
 * A route plugin, registered inside the API prefix in its own encapsulated context. Routes it adds
 * get zod request/response typing from the type provider.
 */
export type ServerPlugin = FastifyPluginAsync<Record<never, never>, RawServerDefault, ZodTypeProvider>;

export interface ServerLoggerOptions extends LoggerOptions {
  /** Where the JSON lines go; stdout by default. */
  stream?: DestinationStream;
}

export interface ServerOptions {
  /** pino options for fastify's logger, or false for no logs. Defaults to JSON lines at `info` on stdout. */
  logger?: ServerLoggerOptions | false;
  /** Largest request body accepted (default 16 MiB); a route may set its own `bodyLimit`. */
  bodyLimitBytes?: number;
  /** Global per-client limit; a route may set `config.rateLimit`. `false` turns limiting off. */
  rateLimit?: RateLimitOptions | false;
  /**
   * Longest time to receive a whole request (default 2 minutes). Fastify disables this by default
   * because a reverse proxy usually enforces it; this server may face clients directly.
   */
  requestTimeoutMs?: number;
  /** Serve HTTPS from these PEM files instead of plain HTTP. */
  tls?: { certFile: string; keyFile: string };
  /** Fastify's `trustProxy`: whom to believe about the client address in `X-Forwarded-For`. */
  trustProxy?: boolean | string | string[];
  /**
   * Route plugins, registered in order under `/api/v1`. Callback-style plugins are accepted because
   * that is what `fastify-plugin` returns.
   */
  plugins?: readonly (ServerPlugin | FastifyPluginCallback<Record<never, never>, RawServerDefault>)[];
  /** Services for the plugins; `clock` defaults to the system clock. */
  services?: Partial<PatchwardenServices>;
  /** Readiness check behind `/healthz` (database reachable...); absent means always ready. */
  ready?: ReadinessCheck;
  readyTimeoutMs?: number;
  metrics?: MetricsOptions;
  /** Reported version; defaults to this package's. */
  version?: string;
}

/**
 * Assembles the HTTP server: JSON logs with request ids, security headers, rate limits, zod
 * validation of requests and responses, one error shape, metrics, health and the OpenAPI document,
 * then the route plugins under `/api/v1`. The instance is returned before `ready()`, so the caller
 * can still add hooks (for example `app.addHook('onClose', () => database.close())`).
 */
export async function buildServer(options: ServerOptions = {}): Promise<FastifyInstance> {
  const version = options.version ?? SERVER_VERSION;
  const rateLimit = options.rateLimit ?? DEFAULT_RATE_LIMIT;
  const https = options.tls
    ? { cert: await readFile(options.tls.certFile), key: await readFile(options.tls.keyFile) }
    : null;

  const app = Fastify({
    logger: options.logger === false ? false : { level: 'info', redact: REDACTED_PATHS, ...options.logger },
    bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    trustProxy: options.trustProxy ?? false,
    requestIdHeader: false,
    genReqId: requestIdFor,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    ...(https ? { https } : {}),
  }) as unknown as FastifyInstance;

  app.setValidatorCompiler(zodValidatorCompiler);
  installJsonBodyParser(app);
  app.setSerializerCompiler(serializerCompiler);

  const services: PatchwardenServices = {
    ...options.services,
    clock: options.services?.clock ?? systemClock,
  };
  app.decorate('services', services);

  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  app.addHook('onSend', async (_request, reply) => {
    // Without this a keep-alive connection would outlive the drain and hold up close().
    if (closing) reply.header('connection', 'close');
  });

  app.addHook('onRoute', attachErrorResponses({ rateLimited: isRateLimited(rateLimit !== false) }));
  await registerOpenApi(app, { version });
  registerSecurityHeaders(app);
  await registerRateLimit(app, rateLimit);
  installErrorHandling(app, rateLimit === false ? undefined : app.rateLimit());

  registerHttpMetrics(app, options.metrics);
  registerHealthRoutes(app, {
    version,
    ...(options.ready ? { ready: options.ready } : {}),
    ...(options.readyTimeoutMs !== undefined ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
  });

  const plugins = options.plugins ?? [];
  await app.register(
    async (api) => {
      registerVersionRoute(api, version);
      registerOpenApiRoute(api);
      for (const plugin of plugins) await api.register(plugin as FastifyPluginCallback);
    },
    { prefix: API_PREFIX },
  );
  return app;
}
