import { RepositorySink } from '@patchwarden/feeds';
import type { IntelRepository } from '@patchwarden/store';

/** Feed imports written to the database: each batch in one transaction, sync status recorded. */
export class StoreSink extends RepositorySink {
  constructor(repository: IntelRepository) {
    super(repository);
  }
}
