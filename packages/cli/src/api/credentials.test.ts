import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCredentials, resolveConnection, writeCredentials } from './credentials.ts';

describe('credentials', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pw-cred-'));
    file = join(dir, 'home', 'credentials.json');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes the file 0600 in a 0700 directory and reads it back', async () => {
    await writeCredentials({ server: 'https://pw.example.net', token: 'pwt_a' }, file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'home'))).mode & 0o777).toBe(0o700);
    expect(await readCredentials(file)).toEqual({ server: 'https://pw.example.net', token: 'pwt_a' });
  });

  it('resolves flags over the environment over the file', async () => {
    await writeCredentials({ server: 'https://pw.example.net', token: 'pwt_file' }, file);
    expect(await resolveConnection({}, {}, file)).toMatchObject({
      server: 'https://pw.example.net',
      token: 'pwt_file',
      tokenSource: 'file',
    });
    const env = { PATCHWARDEN_SERVER: 'https://pw.example.net/', PATCHWARDEN_TOKEN: 'pwt_env' };
    expect(await resolveConnection({}, env, file)).toMatchObject({ token: 'pwt_env', tokenSource: 'env' });
    expect(await resolveConnection({ token: 'pwt_flag' }, env, file)).toMatchObject({
      token: 'pwt_flag',
      tokenSource: 'flag',
    });
  });

  it('never sends the stored token to another server', async () => {
    await writeCredentials({ server: 'https://pw.example.net', token: 'pwt_file' }, file);
    const elsewhere = await resolveConnection({ server: 'https://evil.example.org' }, {}, file);
    expect(elsewhere).toMatchObject({
      server: 'https://evil.example.org',
      token: undefined,
      tokenSource: 'none',
    });
  });

  it('names the file when it is not JSON, and asks for a server when there is none', async () => {
    await writeCredentials({ server: 'https://pw.example.net', token: 'x' }, file);
    await writeFile(file, '{oops');
    await expect(readCredentials(file)).rejects.toMatchObject({ code: 'PW_ERR_PARSE', details: { file } });
    await expect(resolveConnection({}, {}, join(dir, 'none.json'))).rejects.toMatchObject({
      code: 'PW_ERR_USAGE',
      details: { field: 'server' },
    });
    await expect(resolveConnection({ server: 'ftp://x' }, {}, join(dir, 'none.json'))).rejects.toMatchObject({
      code: 'PW_ERR_USAGE',
    });
  });
});
