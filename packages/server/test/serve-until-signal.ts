/**
 * A server process for the real-signal shutdown test: prints its address, announces when the slow
 * request has started, and prints `onClose` from its close hook, then relies on
 * installShutdownHandlers to exit on SIGTERM.
 */
import { buildServer, installShutdownHandlers, startServer, type ServerPlugin } from '@patchwarden/server';

const slowMs = Number(process.env.SLOW_MS ?? 400);

const slow: ServerPlugin = async (app) => {
  app.get('/slow', async () => {
    process.stdout.write('handling\n');
    await new Promise((resolve) => setTimeout(resolve, slowMs));
    return { finished: true };
  });
};

const app = await buildServer({ logger: false, metrics: { defaultMetrics: false }, plugins: [slow] });
app.addHook('onClose', async () => {
  process.stdout.write('onClose\n');
});
const address = await startServer(app, { host: '127.0.0.1', port: 0 });
installShutdownHandlers(app, { timeoutMs: 5_000 });
process.stdout.write(`listening ${address}\n`);
