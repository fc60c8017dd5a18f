import { access } from 'node:fs/promises';
import type { CollectOptions } from './collect-options.ts';
import { runCommand } from './run-command.ts';

export interface RebootRequiredResult {
  rebootRequired: boolean;
  warnings: string[];
}

/**
 * Debian and Ubuntu's update-notifier touches /var/run/reboot-required after an upgrade that
 * needs a reboot; RPM distros answer through `needs-restarting -r` (exit 1 = reboot needed,
 * 0 = not). Neither present: no reboot is known to be required.
 */
export async function detectRebootRequired(
  options: Pick<CollectOptions, 'rebootRequiredPath' | 'needsRestartingCommand' | 'commandTimeoutMs'>,
): Promise<RebootRequiredResult> {
  if (options.rebootRequiredPath !== undefined) {
    const exists = await access(options.rebootRequiredPath).then(
      () => true,
      () => false,
    );
    if (exists) return { rebootRequired: true, warnings: [] };
  }
  if (options.needsRestartingCommand === undefined) return { rebootRequired: false, warnings: [] };
  const result = await runCommand([...options.needsRestartingCommand, '-r'], options.commandTimeoutMs);
  if (result === undefined || result.exitCode === 0) return { rebootRequired: false, warnings: [] };
  if (result.exitCode === 1) return { rebootRequired: true, warnings: [] };
  return {
    rebootRequired: false,
    warnings: [
      `${options.needsRestartingCommand.join(' ')} -r: exit status ${result.exitCode}: ${result.stderr.trim().slice(0, 200)}`,
    ],
  };
}
