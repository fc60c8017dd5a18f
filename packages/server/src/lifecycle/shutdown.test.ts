import { spawn } from 'node:child_process';
import { request, Agent } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildServer, type ServerPlugin } from '../app/build-server.ts';
import { installShutdownHandlers, type ShutdownHandle } from './shutdown.ts';
import { startServer } from './start-server.ts';

interface Answer {
  status: number;
  body: string;
  connection: string | undefined;
}

function get(url: string, agent?: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A route whose handler waits until the test releases it, so a request can be held in flight. */
function slowRoute() {
  let release: () => void = () => {};
  let markStarted: () => void = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const plugin: ServerPlugin = async (app) => {
    app.get('/slow', async () => {
      markStarted();
      await released;
      return { finished: true };
    });
  };
  return { plugin, started, release };
}

let app: FastifyInstance | undefined;
let handle: ShutdownHandle | undefined;
afterEach(async () => {
  handle?.uninstall();
  handle = undefined;
  await app?.close();
  app = undefined;
});

describe('installShutdownHandlers', () => {
  it('listens for SIGTERM and SIGINT until uninstalled', async () => {
    app = await buildServer({ logger: false, metrics: { defaultMetrics: false } });
    const before = [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];
    handle = installShutdownHandlers(app, { timeoutMs: 1000, exit: () => {} });
    expect([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual(
      before.map((n) => n + 1),
    );
    handle.uninstall();
    expect([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual(before);
  });

  it('finishes an in-flight request, refuses new connections, then runs onClose hooks and exits 0', async () => {
    const slow = slowRoute();
    const events: string[] = [];
    app = await buildServer({ logger: false, metrics: { defaultMetrics: false }, plugins: [slow.plugin] });
    app.addHook('onResponse', async (request) => {
      events.push(`answered ${request.url}`);
    });
    app.addHook('onClose', async () => {
      events.push('database closed');
    });
    const address = await startServer(app, { host: '127.0.0.1', port: 0 });
    const exits: number[] = [];
    handle = installShutdownHandlers(app, {
      timeoutMs: 5_000,
      signals: [],
      exit: (code) => exits.push(code),
    });

    const agent = new Agent({ keepAlive: true });
    const inFlight = get(`${address}/api/v1/slow`, agent);
    await slow.started;
    const shutdown = handle.shutdown('test');

    // The listening socket closes after the preClose hooks; wait for it rather than guess.
    while (app.server.listening) await new Promise((resolve) => setTimeout(resolve, 5));
    await expect(get(`${address}/healthz`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(events).toEqual([]);

    slow.release();
    const answer = await inFlight;
    expect(answer).toEqual({ status: 200, body: '{"finished":true}', connection: 'close' });
    expect(await shutdown).toBe(0);
    expect(exits).toEqual([0]);
    expect(events).toEqual(['answered /api/v1/slow', 'database closed']);
    expect(await handle.shutdown('again')).toBe(0);
    expect(exits).toEqual([0]);
    agent.destroy();
    app = undefined;
  });

  it('cuts connections and exits 1 when draining takes longer than the timeout', async () => {
    const slow = slowRoute();
    app = await buildServer({ logger: false, metrics: { defaultMetrics: false }, plugins: [slow.plugin] });
    const address = await startServer(app, { host: '127.0.0.1', port: 0 });
    const exits: number[] = [];
    handle = installShutdownHandlers(app, { timeoutMs: 200, signals: [], exit: (code) => exits.push(code) });

    const inFlight = get(`${address}/api/v1/slow`);
    await slow.started;
    const started = performance.now();
    expect(await handle.shutdown('test')).toBe(1);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(exits).toEqual([1]);
    await expect(inFlight).rejects.toMatchObject({ code: 'ECONNRESET' });
    slow.release();
    app = undefined;
  });
});

describe('a server process receiving SIGTERM', () => {
  it('answers the request it is serving, runs onClose and exits 0', async () => {
    const script = fileURLToPath(new URL('../../test/serve-until-signal.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: fileURLToPath(new URL('../../../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const lines: string[] = [];
    const waiters: (() => void)[] = [];
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const parts = (pending + chunk).split('\n');
      pending = parts.pop() ?? '';
      lines.push(...parts);
      for (const wake of waiters.splice(0)) wake();
    });
    const waitFor = async (prefix: string): Promise<string> => {
      for (;;) {
        const line = lines.find((candidate) => candidate.startsWith(prefix));
        if (line !== undefined) return line;
        if (child.exitCode !== null)
          throw new Error(`exited before printing "${prefix}": ${lines.join(' | ')}`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    };
    child.on('exit', () => {
      for (const wake of waiters.splice(0)) wake();
    });

    try {
      const address = (await waitFor('listening ')).slice('listening '.length);
      const answer = get(`${address}/api/v1/slow`);
      await waitFor('handling');
      child.kill('SIGTERM');
      expect(await answer).toMatchObject({ status: 200, body: '{"finished":true}' });
      expect(await exited).toBe(0);
      expect(lines).toEqual([`listening ${address}`, 'handling', 'onClose']);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
