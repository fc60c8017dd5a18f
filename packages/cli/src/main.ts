import { Command, CommanderError } from '@commander-js/extra-typings';
import { asPatchwardenError } from '@patchwarden/core';
type SetExitCode = (code: number) => void;
type AnyCommand = Command<unknown[], Record<string, unknown>>;

/**
 * Each verb's module is loaded only when that verb runs: the server and store modules take
 * seconds to load (fastify, PGlite), which a `patchwarden assets list` should not pay for.
 */
const VERBS: Readonly<Record<string, (setExitCode: SetExitCode) => Promise<AnyCommand[]>>> = {
  scan: async (set) => [(await import('./commands/scan.ts')).scanCommand(set) as AnyCommand],
  feeds: async (set) => [(await import('./commands/feeds.ts')).feedsCommand(set) as AnyCommand],
  server: async () => [(await import('./commands/server.ts')).serverCommand() as AnyCommand],
  login: async () => [(await import('./commands/login.ts')).loginCommand() as AnyCommand],
  logout: async () => [(await import('./commands/login.ts')).logoutCommand() as AnyCommand],
  whoami: async () => [(await import('./commands/login.ts')).whoamiCommand() as AnyCommand],
  assets: async () => [(await import('./commands/assets.ts')).assetsCommand() as AnyCommand],
  findings: async () => [(await import('./commands/findings.ts')).findingsCommand() as AnyCommand],
  tokens: async () => [(await import('./commands/tokens.ts')).tokensCommand() as AnyCommand],
  enrolment: async () => [(await import('./commands/enrolment.ts')).enrolmentCommand() as AnyCommand],
  audit: async (set) => [(await import('./commands/audit.ts')).auditCommand(set) as AnyCommand],
  queue: async () => [(await import('./commands/queue.ts')).queueCommand() as AnyCommand],
  policy: async () => [(await import('./commands/policy.ts')).policyCommand() as AnyCommand],
};

/** Exit statuses shared by every verb, like other scanners: 1 = policy failed, 2 = error. */
export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_ERROR = 2;

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('patchwarden')
    .description('Patchwarden: know every asset and vulnerability, decide, patch, prove.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  let exitCode = EXIT_OK;
  const setExitCode = (code: number): void => {
    exitCode = Math.max(exitCode, code);
  };
  // The verb is the first argument that is not an option; unknown or none: load every verb
  // (for `--help` and for commander's own "unknown command" message).
  const verb = argv.slice(2).find((arg) => !arg.startsWith('-'));
  const loaders = verb !== undefined && VERBS[verb] ? [VERBS[verb]] : Object.values(VERBS);
  for (const load of loaders) for (const command of await load(setExitCode)) program.addCommand(command);
  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (thrown) {
    if (thrown instanceof CommanderError) {
      return thrown.exitCode === 0 ? EXIT_OK : EXIT_ERROR;
    }
    const error = asPatchwardenError(thrown);
    const where = error.location();
    process.stderr.write(`patchwarden: ${error.code}: ${error.message}${where ? ` (${where})` : ''}\n`);
    if (process.env.PATCHWARDEN_DEBUG) process.stderr.write(`${String((thrown as Error).stack)}\n`);
    return EXIT_ERROR;
  }
}
