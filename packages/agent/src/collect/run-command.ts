import { execFile } from 'node:child_process';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command without a shell, in the C locale (stable, parseable output). Resolves to
 * undefined when the command is not installed; a timeout or a signal is an exit code of -1.
 */
export function runCommand(argv: readonly string[], timeoutMs: number): Promise<CommandResult | undefined> {
  const [command, ...args] = argv;
  if (command === undefined) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        timeout: timeoutMs,
        maxBuffer: 256 * 1024 * 1024,
        env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        if (!error) return resolve({ exitCode: 0, stdout, stderr });
        const code = (error as { code?: unknown }).code;
        if (code === 'ENOENT') return resolve(undefined);
        resolve({ exitCode: typeof code === 'number' ? code : -1, stdout, stderr: stderr || error.message });
      },
    );
  });
}
