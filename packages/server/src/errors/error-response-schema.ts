import { ERROR_CODES, type ErrorCode } from '@patchwarden/core';
import type { RouteOptions } from 'fastify';
import { z } from 'zod';

const errorCodes = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

export const validationIssueSchema = z
  .object({
    path: z.string().meta({ examples: ['body.items[2].name'] }),
    message: z.string(),
  })
  .meta({ id: 'ValidationIssue', description: 'One request field that failed validation.' });

/** The one shape of every error answer; registered under a stable id so the document shares it. */
export const errorResponseSchema = z
  .object({
    code: z.enum(errorCodes).describe('Stable error code from the Patchwarden error registry.'),
    message: z.string().describe('Human-readable explanation.'),
    details: z
      .object({
        issues: z.array(validationIssueSchema).optional().describe('Present on PW_ERR_VALIDATION.'),
        requestId: z
          .string()
          .optional()
          .describe('Present on 5xx answers: quote it when reporting the error.'),
        file: z.string().optional(),
        line: z.number().optional(),
        field: z.string().optional(),
        record: z.string().optional(),
      })
      .catchall(z.unknown())
      .describe('Where the problem is; the keys depend on the code.'),
  })
  .meta({ id: 'ErrorResponse', description: 'Error answer: a registry code, a message and details.' });

export type ErrorResponseSchema = z.infer<typeof errorResponseSchema>;

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

function errorAnswer(description: string) {
  return { description, content: { 'application/json': { schema: errorResponseSchema } } };
}

interface ErrorResponseRules {
  /** Whether the route is subject to rate limiting (then it documents 429). */
  rateLimited: (route: RouteOptions) => boolean;
}

/**
 * An onRoute hook that declares the error answers every route can give, unless the route declared
 * that status itself. Declaring them does two jobs: the OpenAPI document lists them, and the error
 * handler's bodies are checked against the shared shape like any other response.
 */
export function attachErrorResponses(rules: ErrorResponseRules): (route: RouteOptions) => void {
  return (route) => {
    const schema = (route.schema ??= {});
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const validatesInput = Boolean(schema.body ?? schema.querystring ?? schema.params ?? schema.headers);
    const hasBody = methods.some((method) => METHODS_WITH_BODY.has(method));

    const declared = (schema.response ?? {}) as Record<string, unknown>;
    const errors: Record<string, ReturnType<typeof errorAnswer>> = {};
    if (validatesInput || hasBody) {
      errors['400'] = errorAnswer(
        'The request is malformed or does not match its schema (PW_ERR_VALIDATION).',
      );
    }
    if (hasBody) {
      errors['413'] = errorAnswer('The request body is larger than this endpoint accepts.');
      errors['415'] = errorAnswer('The request body has a content type this endpoint does not accept.');
    }
    if (rules.rateLimited(route)) {
      errors['429'] = errorAnswer('Too many requests; retry after the seconds given in Retry-After.');
    }
    errors['500'] = errorAnswer('Internal error; details.requestId identifies it in the server log.');
    errors['4xx'] = errorAnswer('Other client error; see code.');
    errors['5xx'] = errorAnswer('Other server error; see code.');

    // Spread over the route's own answers so its success schemas come first in the document.
    for (const status of Object.keys(declared)) delete errors[status];
    schema.response = { ...declared, ...errors };
  };
}
