import type { FeedRecord } from '../feed-record.ts';

export function issueRecord(
  file: string,
  message: string,
  where: { line?: number; record?: string } = {},
): Extract<FeedRecord, { kind: 'issue' }> {
  const issue: { file: string; message: string; line?: number; record?: string } = { file, message };
  if (where.line !== undefined) issue.line = where.line;
  if (where.record !== undefined) issue.record = where.record;
  return { kind: 'issue', issue };
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** csv-parse errors carry the line they stopped at as `lines`. */
export function csvErrorLine(error: unknown): { line?: number } {
  const lines =
    typeof error === 'object' && error !== null ? (error as { lines?: unknown }).lines : undefined;
  return typeof lines === 'number' ? { line: lines } : {};
}
