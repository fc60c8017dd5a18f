import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { pwError } from '@patchwarden/core';

/** All of standard input, without the final line break (`echo pw | patchwarden login --password-stdin`). */
export async function readStdinSecret(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (text === '') throw pwError('PW_ERR_USAGE', 'Standard input held no password', { field: 'password' });
  return text;
}

/** Asks on the terminal without echoing what is typed. */
export async function promptSecret(question: string): Promise<string> {
  if (!process.stdin.isTTY) {
    throw pwError('PW_ERR_USAGE', 'No terminal to ask for the password: pipe it in with --password-stdin', {
      field: 'password',
    });
  }
  process.stderr.write(question);
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: process.stdin, output: silent, terminal: true });
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}
