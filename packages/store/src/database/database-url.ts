/** `postgres://user@host:port/db` with the password left out, for messages and logs. */
export function describeDatabaseUrl(databaseUrl: string): string {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    return '(unparseable connection string)';
  }
  url.password = '';
  url.search = '';
  return url.toString();
}

/** The same server with another database name (e.g. `postgres`, to create or drop one). */
export function withDatabaseName(databaseUrl: string, name: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}
