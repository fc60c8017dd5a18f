/** PostgreSQL error codes the repositories recover from (both drivers report `code`). */

/** A unique or primary-key violation (23505). */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}

/** A foreign-key violation (23503) on a constraint whose name mentions `column`. */
export function isForeignKeyViolation(error: unknown, column: string): boolean {
  const { code, constraint } = (error ?? {}) as { code?: unknown; constraint?: unknown };
  return code === '23503' && typeof constraint === 'string' && constraint.includes(column);
}
