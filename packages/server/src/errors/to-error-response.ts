import { ERROR_CODES, PatchwardenError, type ErrorCode, type ErrorDetails } from '@patchwarden/core';
import { toValidationIssues, type ValidationIssue } from './validation-issues.ts';

/** The body of every error the API answers with. */
export interface ErrorResponseBody {
  code: ErrorCode;
  message: string;
  details: ErrorDetails;
}

export interface ErrorResponse {
  status: number;
  body: ErrorResponseBody;
  /** Server-side faults are logged as errors with their stack; client mistakes only at info. */
  logLevel: 'info' | 'error';
}

/** What the handler knows about the request the error happened in. */
export interface ErrorContext {
  requestId: string;
  /** The body limit in force for the route, reported with 413 answers. */
  bodyLimitBytes?: number;
}

interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
  validation?: unknown;
  validationContext?: unknown;
}

const JSON_BODY_ERRORS = new Set(['FST_ERR_CTP_EMPTY_JSON_BODY', 'FST_ERR_CTP_INVALID_JSON_BODY']);

/**
 * Maps anything thrown while serving a request to the one error shape of the API. The rules:
 * PatchwardenError keeps its code and status; fastify's request errors (validation, body size, media
 * type, JSON syntax) get their PW_ERR_* code; anything else is a 500 PW_ERR_INTERNAL. Answers with a
 * 5xx status never carry the thrown message or details (they may hold SQL, paths or stack traces):
 * only the registry message and the request id, which also labels the logged error.
 */
export function toErrorResponse(thrown: unknown, context: ErrorContext): ErrorResponse {
  if (thrown instanceof PatchwardenError) {
    if (thrown.status >= 500) return internal(thrown.code, thrown.status, context);
    return clientError(thrown.status, thrown.code, thrown.message, thrown.details);
  }

  const error = (typeof thrown === 'object' && thrown !== null ? thrown : {}) as FastifyLikeError;
  const fastifyCode = typeof error.code === 'string' ? error.code : undefined;
  const statusCode = typeof error.statusCode === 'number' ? error.statusCode : undefined;

  if (Array.isArray(error.validation)) {
    const issues = toValidationIssues(String(error.validationContext ?? 'request'), error.validation);
    return clientError(400, 'PW_ERR_VALIDATION', summarise(issues), { issues });
  }
  if (fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const limit = context.bodyLimitBytes;
    const message =
      limit === undefined
        ? ERROR_CODES.PW_ERR_PAYLOAD_TOO_LARGE.message
        : `The request body is larger than the ${limit} bytes this endpoint accepts`;
    return clientError(
      413,
      'PW_ERR_PAYLOAD_TOO_LARGE',
      message,
      limit === undefined ? {} : { limitBytes: limit },
    );
  }
  if (fastifyCode === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return clientError(415, 'PW_ERR_UNSUPPORTED_MEDIA_TYPE', messageOf(error), {});
  }
  if (fastifyCode !== undefined && JSON_BODY_ERRORS.has(fastifyCode)) {
    return clientError(400, 'PW_ERR_PARSE', 'The request body is not valid JSON', { field: 'body' });
  }
  // Other request errors fastify raises itself (bad content-length, malformed URL...): their
  // messages are about the request, so they are safe to repeat.
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500 && fastifyCode?.startsWith('FST_')) {
    return clientError(statusCode, 'PW_ERR_BAD_REQUEST', messageOf(error), { reason: fastifyCode });
  }
  return internal('PW_ERR_INTERNAL', 500, context);
}

function clientError(status: number, code: ErrorCode, message: string, details: ErrorDetails): ErrorResponse {
  return { status, body: { code, message, details }, logLevel: 'info' };
}

function internal(code: ErrorCode, status: number, context: ErrorContext): ErrorResponse {
  return {
    status,
    body: { code, message: ERROR_CODES[code].message, details: { requestId: context.requestId } },
    logLevel: 'error',
  };
}

function messageOf(error: FastifyLikeError): string {
  return typeof error.message === 'string' && error.message !== '' ? error.message : 'Bad request';
}

function summarise(issues: readonly ValidationIssue[]): string {
  const [first] = issues;
  if (first === undefined) return ERROR_CODES.PW_ERR_VALIDATION.message;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `${first.path}: ${first.message}${more}`;
}
