export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One structured log event: a stable `event` name tests and operators can match on, plus fields. */
export interface LogEvent {
  level: LogLevel;
  event: string;
  message: string;
  [field: string]: unknown;
}

export type AgentLogger = (event: LogEvent) => void;

/** journald reads a `<N>` syslog priority at the start of each line (sd-daemon(3)). */
const SYSLOG_PRIORITY: Readonly<Record<LogLevel, number>> = { debug: 7, info: 6, warn: 4, error: 3 };

/**
 * Lines on standard error: `level event: message key=value...`, with a syslog priority prefix
 * when systemd's journal is listening (JOURNAL_STREAM is set), so `journalctl -p warning` works.
 */
export function stderrLogger(
  write: (line: string) => void = (line) => process.stderr.write(line),
  journal: boolean = process.env.JOURNAL_STREAM !== undefined,
  minLevel: LogLevel = 'info',
): AgentLogger {
  const threshold = SYSLOG_PRIORITY[minLevel];
  return (entry) => {
    const { level, event, message, ...fields } = entry;
    if (SYSLOG_PRIORITY[level] > threshold) return;
    const extra = Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join(' ');
    const prefix = journal ? `<${SYSLOG_PRIORITY[level]}>` : `${level} `;
    write(`${prefix}${event}: ${message}${extra ? ` ${extra}` : ''}\n`);
  };
}

export const silentLogger: AgentLogger = () => {};
