/** One request field that failed validation, as the API reports it. */
export interface ValidationIssue {
  /** Where the bad value is: `body.items[2].name`, `query.limit`, `params.id`. */
  path: string;
  message: string;
}

/** Fastify's names for the parts of a request mapped to the names clients see in issue paths. */
const CONTEXT_NAMES: Record<string, string> = {
  body: 'body',
  querystring: 'query',
  params: 'params',
  headers: 'headers',
};

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `['items', 2, 'name']` under `body` becomes `body.items[2].name`; odd keys are quoted: `body["a b"]`. */
export function formatIssuePath(context: string, path: readonly PropertyKey[]): string {
  let text = CONTEXT_NAMES[context] ?? context;
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (typeof segment === 'string' && IDENTIFIER.test(segment)) text += `.${segment}`;
    else text += `[${JSON.stringify(String(segment))}]`;
  }
  return text;
}

/**
 * The path segments of a JSON pointer such as ajv's `instancePath` (`/items/2/name`). Pointers do not
 * say whether `2` is an index or a key, so all-digit segments are read as indexes.
 */
export function pointerToPath(pointer: string): PropertyKey[] {
  // `/` is the key "" (RFC 6901), not the root.
  if (pointer === '') return [];
  return pointer
    .replace(/^\//, '')
    .split('/')
    .map((raw) => raw.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((segment) => (/^(0|[1-9][0-9]*)$/.test(segment) ? Number(segment) : segment));
}

interface RawValidationItem {
  path?: readonly PropertyKey[];
  instancePath?: string;
  message?: string;
}

/** Issues from fastify's `error.validation` (zod items from our compiler, or ajv items from a JSON-schema route). */
export function toValidationIssues(context: string, items: readonly RawValidationItem[]): ValidationIssue[] {
  return items.map((item) => ({
    path: formatIssuePath(context, item.path ?? pointerToPath(item.instancePath ?? '')),
    message: item.message ?? 'Invalid value',
  }));
}
