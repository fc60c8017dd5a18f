import { join } from 'node:path';
import type { Database } from '@patchwarden/store';
import { openDatabase } from '@patchwarden/store';
import { patchwardenHome } from '../paths.ts';

export interface StoreOptions {
  dataDir?: string;
  databaseUrl?: string;
}

/**
 * The database: `--database-url` (or DATABASE_URL) for a PostgreSQL server, else the embedded
 * store in `--data-dir` (default `$PATCHWARDEN_HOME/data`).
 */
export function openStore(options: StoreOptions): Promise<Database> {
  const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL;
  if (databaseUrl && !options.dataDir) return openDatabase({ databaseUrl });
  return openDatabase({ dataDir: options.dataDir ?? join(patchwardenHome(), 'data') });
}
