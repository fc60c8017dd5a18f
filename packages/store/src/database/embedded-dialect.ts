import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Dialect } from 'kysely';
import { pwError } from '@patchwarden/core';
import { PGliteDialect } from '../dialect/pglite/pglite-dialect.ts';
import { TYPE_PARSERS } from './type-parsers.ts';

const IN_MEMORY = 'memory://';

/**
 * PGlite in `dataDir` (created if missing), or in memory for `memory://`. One process owns a
 * data directory at a time: PGlite is a single Postgres backend, not a server.
 */
export async function embeddedDialect(dataDir: string): Promise<Dialect> {
  const inMemory = dataDir.startsWith(IN_MEMORY);
  const location = inMemory ? dataDir : resolve(dataDir);
  if (!inMemory) {
    try {
      await mkdir(location, { recursive: true });
    } catch (error) {
      throw pwError(
        'PW_ERR_DATABASE',
        `Cannot create the data directory ${location}`,
        { file: location },
        error,
      );
    }
  }
  try {
    const pglite = await PGlite.create(location, { parsers: { ...TYPE_PARSERS } });
    return new PGliteDialect({ pglite });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw pwError(
      'PW_ERR_DATABASE',
      `Cannot open the embedded database in ${location}: ${reason}`,
      { file: location },
      error,
    );
  }
}
