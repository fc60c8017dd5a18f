/**
 * FIRST EPSS daily CSV, plain or gzipped, in each of its historical layouts:
 * v1 (2021-04) `cve,epss`; v2 (2021-09) `cve,epss,percentile`; v3 (2022-02 on) the same columns
 * after a `#model_version:...,score_date:...` comment line. The full file has ~300k rows and is
 * read line by line.
 */
import { basename } from 'node:path';
import type { EpssScore } from '@patchwarden/core';
import type { FeedReader, FeedRecord, ReadOptions } from '../feed-record.ts';
import { errorMessage, issueRecord } from '../intel-common/feed-issue.ts';
import { CVE_ID, isCalendarDate } from '../intel-common/intel-values.ts';
import { openInput } from '../intel-common/open-input.ts';
import { textLines } from '../intel-common/text-lines.ts';

const SNIFF = /^\uFEFF?(?:#model_version:|cve,epss(?:,percentile)?\r?(?:\n|$))/;
const FILE_DATE = /epss_scores-(\d{4}-\d{2}-\d{2})/;
const PROBABILITY = /^(?:0(?:\.\d+)?|1(?:\.0+)?|\.\d+|\d(?:\.\d+)?[eE]-\d+)$/;

interface Columns {
  cve: number;
  epss: number;
  percentile: number | undefined;
}

/** `#model_version:v2023.03.01,score_date:2023-03-07T00:00:00+0000` */
function parseComment(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const part of text.replace(/^#/, '').split(',')) {
    const colon = part.indexOf(':');
    if (colon > 0) fields[part.slice(0, colon).trim()] = part.slice(colon + 1).trim();
  }
  return fields;
}

function parseHeader(text: string): Columns | undefined {
  const names = text.split(',').map((name) => name.trim().toLowerCase());
  const cve = names.indexOf('cve');
  const epss = names.indexOf('epss');
  const percentile = names.indexOf('percentile');
  return cve === -1 || epss === -1
    ? undefined
    : { cve, epss, percentile: percentile === -1 ? undefined : percentile };
}

function probability(text: string | undefined): number | undefined {
  if (text === undefined || !PROBABILITY.test(text.trim())) return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 && value <= 1 ? value : undefined;
}

function parseRow(
  text: string,
  columns: Columns,
  meta: Pick<EpssScore, 'date' | 'modelVersion'>,
): EpssScore | string {
  const cells = text.split(',');
  const cveId = cells[columns.cve]?.trim() ?? '';
  if (!CVE_ID.test(cveId)) return `invalid CVE id ${JSON.stringify(cveId)}`;
  const epss = probability(cells[columns.epss]);
  if (epss === undefined)
    return `${cveId}: epss is not a probability: ${JSON.stringify(cells[columns.epss])}`;
  const score: EpssScore = { cveId, epss };
  if (columns.percentile !== undefined) {
    const percentile = probability(cells[columns.percentile]);
    if (percentile === undefined)
      return `${cveId}: percentile is not in 0..1: ${JSON.stringify(cells[columns.percentile])}`;
    score.percentile = percentile;
  }
  if (meta.date !== undefined) score.date = meta.date;
  if (meta.modelVersion !== undefined) score.modelVersion = meta.modelVersion;
  return score;
}

async function* read(path: string, options: ReadOptions = {}): AsyncGenerator<FeedRecord> {
  const { stream } = await openInput(path, options);
  const meta: Pick<EpssScore, 'date' | 'modelVersion'> = {};
  const fileDate = FILE_DATE.exec(basename(path))?.[1];
  if (fileDate && isCalendarDate(fileDate)) meta.date = fileDate;
  let columns: Columns | undefined;
  try {
    for await (const { text, number } of textLines(stream, path)) {
      const line = number === 1 ? text.replace(/^\uFEFF/, '') : text;
      if (line.trim() === '') continue;
      if (line.startsWith('#')) {
        const comment = parseComment(line);
        if (comment.model_version) meta.modelVersion = comment.model_version;
        const day = comment.score_date?.slice(0, 10);
        if (day && isCalendarDate(day)) meta.date = day;
        continue;
      }
      if (columns === undefined) {
        columns = parseHeader(line);
        if (columns === undefined) {
          yield issueRecord(
            path,
            `expected the header "cve,epss[,percentile]", found ${JSON.stringify(line.slice(0, 80))}`,
            { line: number },
          );
          return;
        }
        continue;
      }
      const row = parseRow(line, columns, meta);
      if (typeof row !== 'string') {
        yield { kind: 'epss', score: row };
        continue;
      }
      const cveId = line.split(',')[columns.cve]?.trim();
      yield issueRecord(
        path,
        row,
        cveId && CVE_ID.test(cveId) ? { line: number, record: cveId } : { line: number },
      );
    }
  } catch (error) {
    yield issueRecord(path, `cannot read EPSS file: ${errorMessage(error)}`);
  } finally {
    stream.destroy();
  }
}

export const epssReader: FeedReader = {
  feed: 'epss',
  sniff(_path: string, head: string): boolean {
    return SNIFF.test(head);
  },
  read,
};
