import { Command, CommanderError } from '@commander-js/extra-typings';
import { asPatchwardenError } from '@patchwarden/core';
import { assetsCommand } from './commands/assets.ts';
import { auditCommand } from './commands/audit.ts';
import { enrolmentCommand } from './commands/enrolment.ts';
import { feedsCommand } from './commands/feeds.ts';
import { findingsCommand } from './commands/findings.ts';
import { loginCommand, logoutCommand, whoamiCommand } from './commands/login.ts';
import { policyCommand } from './commands/policy.ts';
import { queueCommand } from './commands/queue.ts';
import { scanCommand } from './commands/scan.ts';
import { serverCommand } from './commands/server.ts';
import { tokensCommand } from './commands/tokens.ts';

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
  program.addCommand(scanCommand(setExitCode));
  program.addCommand(feedsCommand(setExitCode));
  program.addCommand(serverCommand());
  program.addCommand(loginCommand());
  program.addCommand(logoutCommand());
  program.addCommand(whoamiCommand());
  program.addCommand(assetsCommand());
  program.addCommand(findingsCommand());
  program.addCommand(tokensCommand());
  program.addCommand(enrolmentCommand());
  program.addCommand(auditCommand(setExitCode));
  program.addCommand(queueCommand());
  program.addCommand(policyCommand());
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
