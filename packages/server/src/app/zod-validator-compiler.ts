import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import { safeParse, type $ZodType } from 'zod/v4/core';

/** A fastify validation error that keeps zod's own path, so that `items[2]` and a key `"2"` stay distinct. */
export interface PathValidationError extends FastifySchemaValidationError {
  readonly path: readonly PropertyKey[];
}

/**
 * Validates requests with zod like fastify-type-provider-zod's compiler does, but keeps each issue's
 * path as zod reported it (that library flattens it into a JSON pointer, where an array index and a
 * numeric object key look the same).
 */
export const zodValidatorCompiler: FastifySchemaCompiler<$ZodType> =
  ({ schema }) =>
  (data) => {
    const result = safeParse(schema, data);
    if (result.success) return { value: result.data };
    const issues: PathValidationError[] = result.error.issues.map((issue) => ({
      keyword: issue.code,
      instancePath: `/${issue.path.map(String).join('/')}`,
      schemaPath: `#/${issue.path.map(String).join('/')}/${issue.code}`,
      params: {},
      message: issue.message,
      path: issue.path,
    }));
    // fastify wraps a non-Error `error` into its validation error and keeps the array as `validation`.
    return { error: issues as unknown as Error };
  };
