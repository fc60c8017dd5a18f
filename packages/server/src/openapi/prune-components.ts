/**
 * Keeps only the component schemas the document reaches from its paths. The zod transform emits
 * every registered schema twice (an `...Input` and an output variant); most are never referenced
 * and would only confuse readers and client generators.
 */
export function pruneUnreferencedSchemas<T extends { paths?: unknown; components?: { schemas?: unknown } }>(
  document: T,
): T {
  const schemas = document.components?.schemas as Record<string, unknown> | undefined;
  if (!schemas) return document;

  const prefix = '#/components/schemas/';
  const kept = new Set<string>();
  const pending: unknown[] = [document.paths];
  while (pending.length > 0) {
    const node = pending.pop();
    if (Array.isArray(node)) {
      pending.push(...node);
    } else if (typeof node === 'object' && node !== null) {
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string' && value.startsWith(prefix)) {
          const name = value.slice(prefix.length);
          if (!kept.has(name)) {
            kept.add(name);
            pending.push(schemas[name]);
          }
        } else {
          pending.push(value);
        }
      }
    }
  }
  const pruned = Object.fromEntries(Object.entries(schemas).filter(([name]) => kept.has(name)));
  return { ...document, components: { ...document.components, schemas: pruned } };
}
