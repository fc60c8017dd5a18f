import type { FastifyInstance } from 'fastify';

export interface ShutdownOptions {
  /** How long in-flight requests and onClose hooks may take before connections are cut. */
  timeoutMs: number;
  signals?: readonly NodeJS.Signals[];
  /** Ends the process; replaced in tests. */
  exit?: (code: number) => void;
}

export interface ShutdownHandle {
  /** Runs the same shutdown a signal would; resolves with the exit code it chose. */
  shutdown(reason: string): Promise<number>;
  /** Removes the signal listeners (for tests, or an embedding process that manages signals itself). */
  uninstall(): void;
}

/**
 * On SIGTERM or SIGINT: stop accepting connections, let in-flight requests finish, run the onClose
 * hooks (the database closes there), then exit 0. If that takes longer than `timeoutMs`, open
 * connections are destroyed and the process exits 1, so an orchestrator never waits forever.
 * A second signal during shutdown changes nothing: the first shutdown is already bounded.
 */
export function installShutdownHandlers(app: FastifyInstance, options: ShutdownOptions): ShutdownHandle {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let running: Promise<number> | undefined;

  const shutdown = (reason: string): Promise<number> => {
    running ??= closeWithin(app, options.timeoutMs, reason).then((code) => {
      exit(code);
      return code;
    });
    return running;
  };
  const onSignal = (signal: NodeJS.Signals) => void shutdown(signal);
  for (const signal of signals) process.on(signal, onSignal);

  return {
    shutdown,
    uninstall: () => {
      for (const signal of signals) process.off(signal, onSignal);
    },
  };
}

async function closeWithin(app: FastifyInstance, timeoutMs: number, reason: string): Promise<number> {
  app.log.info({ reason, timeoutMs }, 'shutting down: draining in-flight requests');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([app.close().then(() => 'closed' as const), timedOut]);
    if (outcome === 'closed') {
      app.log.info('shutdown complete');
      return 0;
    }
    app.log.error({ timeoutMs }, 'shutdown timed out: closing remaining connections');
    app.server.closeAllConnections();
    return 1;
  } catch (err) {
    app.log.error({ err }, 'shutdown failed');
    return 1;
  } finally {
    clearTimeout(timer);
  }
}
