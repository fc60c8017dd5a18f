import type { ServerLoggerOptions } from '@patchwarden/server';

export interface LogLine {
  level: number;
  msg?: string;
  requestId?: string;
  err?: { type?: string; message?: string; stack?: string };
  [key: string]: unknown;
}

/** pino options that keep every JSON log line in memory, for tests that assert on logs. */
export function captureLogs(level = 'info'): { logger: ServerLoggerOptions; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger: ServerLoggerOptions = {
    level,
    stream: { write: (text: string) => void lines.push(JSON.parse(text) as LogLine) },
  };
  return { logger, lines };
}

/** pino's numeric levels. */
export const LEVEL = { info: 30, warn: 40, error: 50 } as const;
