import type pg from 'pg';

/**
 * Server-side prepared statements for the hot statements of check-ins and uploads. A statement
 * whose text holds PREPARED (an SQL comment) is given a name the second time it is seen, and
 * node-postgres then parses it once per connection and afterwards only binds and executes it;
 * after five executions PostgreSQL may also keep one generic plan for it. Profiled on
 * PostgreSQL 15 under the check-in benchmark: parsing, analysing and planning took about 30% of
 * the database's CPU, every time, for the same few texts.
 *
 * Opt-in, not every statement: a generic plan is built for the table sizes of the moment and kept
 * until the table's statistics change. On a new database that froze a plan made for an empty
 * package_items into the statement interning an upload's items, when it still joined that table
 * (measured: the database's CPU per upload went up by half). Marked statements look rows up by an
 * indexed key (an asset's id, a set's hash, the audit log's head, an item's tuple and details
 * probed once per input row), a plan that does not depend on table sizes.
 *
 * Names are given per pool, so one text has one name on all of its connections; at most
 * MAX_NAMED texts are named (a marked text built with values inlined would be new every time).
 */
export const PREPARED = '/* pw:prepared */';

const MAX_NAMED = 200;
const USES_BEFORE_NAMING = 2;
/** PostgreSQL's "cached plan must not change result type" (a table changed under the statement). */
const FEATURE_NOT_SUPPORTED = '0A000';

interface Tracked {
  uses: number;
  name?: string;
  /** Failed as prepared once: always sent unnamed from then on. */
  unnamed?: boolean;
}

export class StatementNames {
  readonly #texts = new Map<string, Tracked>();
  #named = 0;

  /** The name to prepare `text` under: only a marked text, once seen twice. */
  nameFor(text: string): string | undefined {
    if (!text.includes(PREPARED)) return undefined;
    let tracked = this.#texts.get(text);
    if (tracked === undefined) {
      if (this.#texts.size >= MAX_NAMED * 2) return undefined;
      tracked = { uses: 0 };
      this.#texts.set(text, tracked);
    }
    if (tracked.name !== undefined || tracked.unnamed) return tracked.name;
    if (++tracked.uses >= USES_BEFORE_NAMING && this.#named < MAX_NAMED) {
      tracked.name = `pw_${++this.#named}`;
    }
    return tracked.name;
  }

  /** `text` is sent unnamed from now on (its prepared form failed). */
  forget(text: string): void {
    const tracked = this.#texts.get(text);
    if (tracked) {
      delete tracked.name;
      tracked.unnamed = true;
    }
  }

  get named(): number {
    return this.#named;
  }
}

const PREPARING = Symbol('patchwarden.autoPrepare');

type QueryFunction = (...args: unknown[]) => unknown;

/**
 * `client` with its `query(text, values)` form sending named statements (see StatementNames);
 * every other form (config objects, cursors, callbacks, no values) is passed through unchanged.
 */
export function preparingClient<C extends pg.PoolClient>(client: C, names: StatementNames): C {
  const marked = client as C & { [PREPARING]?: true };
  if (marked[PREPARING]) return client;
  const query = client.query.bind(client) as QueryFunction;
  (client as unknown as { query: QueryFunction }).query = (...args: unknown[]) => {
    const [text, values, callback] = args;
    if (typeof text !== 'string' || !Array.isArray(values) || callback !== undefined) return query(...args);
    const name = names.nameFor(text);
    if (name === undefined) return query(...args);
    return (query({ name, text, values }) as Promise<unknown>).catch((error: unknown) => {
      if ((error as { code?: string }).code === FEATURE_NOT_SUPPORTED) names.forget(text);
      throw error;
    });
  };
  marked[PREPARING] = true;
  return client;
}

/** What Kysely's PostgresDialect needs of a pool, handing out preparing clients. */
export function preparingPool(pool: pg.Pool, names = new StatementNames()) {
  return {
    connect: async () => preparingClient(await pool.connect(), names),
    end: () => pool.end(),
  };
}
