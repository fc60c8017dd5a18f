import { PatchwardenError, pwError } from '@patchwarden/core';
import type { InventoryFormat } from '@patchwarden/core';
import { LineIndex } from './line-index.ts';

/**
 * Third-party parsers (JSON.parse, yaml, @yarnpkg/parsers, saxes) throw their own error types;
 * callers only ever see PW_ERR_PARSE naming the file and, where the parser said so, the line.
 */
export function parseFailure(
  format: InventoryFormat,
  file: string,
  cause: unknown,
  text?: string,
): PatchwardenError {
  if (cause instanceof PatchwardenError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  const line = lineOf(cause, message, text);
  return pwError(
    'PW_ERR_PARSE',
    `${file}${line === undefined ? '' : `:${line}`}: not a valid ${format} file: ${firstLine(message)}`,
    line === undefined ? { file, format } : { file, line, format },
    cause,
  );
}

function lineOf(cause: unknown, message: string, text: string | undefined): number | undefined {
  const fromObject = lineFromErrorObject(cause);
  if (fromObject !== undefined) return fromObject;
  const lineColumn = /line (\d+)(?: column|,? col)/i.exec(message);
  if (lineColumn) return Number(lineColumn[1]);
  if (text === undefined) return undefined;
  const position = /at position (\d+)/.exec(message);
  if (position) return new LineIndex(text).lineAt(Number(position[1]));
  if (/unexpected end/i.test(message)) return new LineIndex(text).lineCount;
  const offset = offsetFromSnippet(message, text);
  return offset === undefined ? undefined : new LineIndex(text).lineAt(offset);
}

/**
 * V8's JSON.parse names no position for a bad token, only the text around it:
 * `Unexpected token 'x', ..."b": xyz }" is not valid JSON`. Finding that text finds the token.
 */
function offsetFromSnippet(message: string, text: string): number | undefined {
  const match = /^Unexpected token '(.+?)', (?:\.\.\.)?"([\s\S]*)"(?:\.\.\.)? is not valid JSON/.exec(
    message,
  );
  if (!match?.[1] || !match[2]) return undefined;
  const at = text.indexOf(match[2]);
  if (at === -1) return undefined;
  return at + Math.max(0, match[2].indexOf(match[1]));
}

function lineFromErrorObject(cause: unknown): number | undefined {
  if (typeof cause !== 'object' || cause === null) return undefined;
  const candidate = cause as {
    linePos?: Array<{ line?: unknown }>;
    mark?: { line?: unknown };
    location?: { start?: { line?: unknown } };
  };
  const yamlLine = candidate.linePos?.[0]?.line;
  if (typeof yamlLine === 'number') return yamlLine;
  // js-yaml (inside @yarnpkg/parsers) counts lines from 0.
  const markLine = candidate.mark?.line;
  if (typeof markLine === 'number') return markLine + 1;
  const pegLine = candidate.location?.start?.line;
  if (typeof pegLine === 'number') return pegLine;
  return undefined;
}

function firstLine(message: string): string {
  const line = message.split('\n', 1)[0] ?? message;
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
