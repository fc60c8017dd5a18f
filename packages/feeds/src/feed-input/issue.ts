import type { FeedRecord, ImportIssue } from '../feed-record.ts';

/** A skipped record, located as precisely as the format allows. */
export function issue(
  file: string,
  message: string,
  where: Omit<ImportIssue, 'file' | 'message'> = {},
): FeedRecord {
  const found: ImportIssue = { file, message };
  if (where.line !== undefined) found.line = where.line;
  if (where.record !== undefined) found.record = where.record;
  return { kind: 'issue', issue: found };
}
