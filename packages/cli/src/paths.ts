import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where Patchwarden keeps its state: `$PATCHWARDEN_HOME`, else `~/.patchwarden`. */
export function patchwardenHome(): string {
  return process.env.PATCHWARDEN_HOME ?? join(homedir(), '.patchwarden');
}

/** The local mirror that `feeds sync` fills and `scan` reads by default. */
export function defaultFeedMirror(): string {
  return join(patchwardenHome(), 'feeds');
}
