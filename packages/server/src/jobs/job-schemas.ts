import { JOB_STATES } from '@patchwarden/store';
import { z } from 'zod';

const jsonValue = z.unknown().describe('Any JSON value.');

export const jobSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    payload: jsonValue,
    state: z.enum(JOB_STATES),
    attempts: z.number().int().describe('Attempts started so far, the running one included.'),
    maxAttempts: z.number().int(),
    backoffMs: z.number().int().describe('First retry delay; doubled for each further attempt.'),
    runAfter: z.string().describe('Not started before this time (a retry waits here).'),
    singletonKey: z.string().optional(),
    scheduleSlot: z.string().optional(),
    lockedBy: z.string().optional().describe('The worker running the job.'),
    lockedUntil: z.string().optional().describe('When its lease runs out unless renewed.'),
    result: jsonValue.optional(),
    error: z.string().optional().describe("The last attempt's error."),
    createdBy: z.string(),
    createdAt: z.string(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Job' });

export const jobListQuery = z.object({
  name: z.string().min(1).max(100).optional(),
  state: z.enum(JOB_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().min(1).max(200).optional().describe('nextCursor of the previous page.'),
});

export const jobPageSchema = z.object({
  items: z.array(jobSchema),
  nextCursor: z.string().optional(),
});

export const enqueuedSchema = z.object({
  jobId: z.uuid(),
  state: z.enum(JOB_STATES),
  created: z.boolean().describe('False when an equal job was already queued or running; its id is given.'),
});

export const feedImportBody = z.object({
  paths: z
    .array(z.string().min(1).max(4096).startsWith('/', 'must be an absolute path on the server'))
    .min(1)
    .max(100)
    .describe('Feed files or directories on the server, imported as `patchwarden server --feeds` does.'),
});
