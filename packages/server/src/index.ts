export {
  API_PREFIX,
  buildServer,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type ServerLoggerOptions,
  type ServerOptions,
  type ServerPlugin,
} from './app/build-server.ts';
export { DEFAULT_RATE_LIMIT, type RateLimitOptions } from './app/rate-limit.ts';
export { REQUEST_ID_HEADER } from './app/request-id.ts';
export { requireService, systemClock, type Clock, type PatchwardenServices } from './app/services.ts';
export { SERVER_VERSION } from './app/server-version.ts';
export {
  errorResponseSchema,
  validationIssueSchema,
  type ErrorResponseSchema,
} from './errors/error-response-schema.ts';
export { toErrorResponse, type ErrorResponse, type ErrorResponseBody } from './errors/to-error-response.ts';
export { formatIssuePath, type ValidationIssue } from './errors/validation-issues.ts';
export { type HealthOptions, type ReadinessCheck, type ReadinessResult } from './health/health-routes.ts';
export { UNMATCHED_ROUTE, type MetricsOptions } from './metrics/http-metrics.ts';
export { installShutdownHandlers, type ShutdownHandle, type ShutdownOptions } from './lifecycle/shutdown.ts';
export { startServer, type ListenOptions } from './lifecycle/start-server.ts';
export { API_VERSION } from './version/version-route.ts';
export type { FastifyPluginAsyncZod, ZodTypeProvider } from 'fastify-type-provider-zod';
export * from './auth/index.ts';
export {
  createPatchwardenApp,
  roleFilterCompiler,
  type PatchwardenApp,
  type PatchwardenAppOptions,
} from './app/patchwarden-app.ts';
export {
  registerAgentRoutes,
  DEFAULT_CHECKIN_INTERVAL_SECONDS,
  DEFAULT_INVENTORY_BODY_LIMIT,
  type AgentRouteOptions,
} from './agent/agent-routes.ts';
export type { PlatformContext } from './assets/platform-context.ts';
export * from './jobs/index.ts';
