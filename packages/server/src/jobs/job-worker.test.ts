import { JobQueue, openDatabase } from '@patchwarden/store';
import type { Database } from '@patchwarden/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshTarget } from '../../../store/src/testing/test-database.ts';
import type { TestTarget } from '../../../store/src/testing/test-database.ts';
import { JobWorker } from './job-worker.ts';
import type { WorkerLog } from './job-worker.ts';

describe('JobWorker housekeeping', () => {
  let target: TestTarget;
  let database: Database;

  beforeAll(async () => {
    target = await freshTarget('embedded');
    database = await openDatabase(target.options);
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    await target?.remove();
  });

  it('runs each task at start, logs what it removed, and a failing task stops neither the others nor the jobs', async () => {
    const queue = new JobQueue(database);
    const ran: string[] = [];
    const logged: { level: string; fields: Record<string, unknown> }[] = [];
    const log: WorkerLog = {
      info: (fields) => logged.push({ level: 'info', fields: fields as Record<string, unknown> }),
      warn: (fields) => logged.push({ level: 'warn', fields: fields as Record<string, unknown> }),
      error: (fields) => logged.push({ level: 'error', fields: fields as Record<string, unknown> }),
    };
    let finished: () => void = () => undefined;
    const jobDone = new Promise<void>((resolve) => (finished = resolve));
    const worker = new JobWorker({
      queue,
      workerId: 'w-1',
      pollMs: 20,
      log,
      handlers: {
        'test.echo': async () => {
          finished();
          return { echoed: true };
        },
      },
      housekeeping: [
        {
          name: 'broken',
          run: async () => {
            ran.push('broken');
            throw new Error('disk on fire');
          },
        },
        {
          name: 'counting',
          run: async (workerId) => {
            ran.push(`counting by ${workerId}`);
            return 3;
          },
        },
      ],
    });
    await queue.enqueue({ name: 'test.echo', payload: {} }, { kind: 'system', id: 'test', name: 'test' });
    worker.start();
    await jobDone;
    await worker.stop();
    expect(ran).toEqual(['broken', 'counting by w-1']); // Once: the next round is an hour away.
    expect(logged).toContainEqual({ level: 'error', fields: expect.objectContaining({ task: 'broken' }) });
    expect(logged).toContainEqual({ level: 'info', fields: { task: 'counting', removed: 3 } });
  });
});
