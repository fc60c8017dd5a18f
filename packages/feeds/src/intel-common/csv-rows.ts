/**
 * CSV rows keyed by the header, streamed with csv-parse. A malformed row becomes an issue and
 * reading goes on. Stray quotes inside a field are kept as text: strict quoting would make
 * csv-parse drop every row after the first stray quote.
 */
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { FeedRecord } from '../feed-record.ts';
import { issueRecord } from './feed-issue.ts';

export type CsvRow =
  /** `line` is where the row starts (a quoted field may carry it over several lines). */
  { record: Record<string, string>; line: number } | { issue: Extract<FeedRecord, { kind: 'issue' }> };

/** No feed row comes near this; a bigger one is an unclosed quote swallowing the file. */
const MAX_RECORD_BYTES = 4 * 1024 * 1024;

export async function* csvRows(stream: Readable, file: string): AsyncGenerator<CsvRow> {
  const skipped: CsvRow[] = [];
  // The line after the last good row is where a skipped row began (csv-parse reports its end).
  let lastLine = 1;
  const parser = parse({
    bom: true,
    columns: true,
    info: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_BYTES,
    skip_records_with_error: true,
    on_skip: (error) => {
      const end = typeof error?.lines === 'number' ? ` (through line ${error.lines})` : '';
      skipped.push({
        issue: issueRecord(file, `malformed CSV row${end}: ${error?.message ?? 'unknown error'}`, {
          line: lastLine + 1,
        }),
      });
    },
  });
  stream.on('error', (error) => parser.destroy(error));
  stream.pipe(parser);
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: Record<string, string>;
      info: { lines: number };
    }>) {
      yield* skipped.splice(0);
      const line = lastLine + 1;
      lastLine = info.lines;
      yield { record, line };
    }
    yield* skipped.splice(0);
  } finally {
    stream.destroy();
  }
}
