/**
 * One registry of every error Patchwarden raises, shared by the CLI, the server and the agent.
 * Each code is stable (tools and users match on it); the message is for people; `details` names
 * the file, line, record or field that was wrong so that bad input can be found and fixed.
 */
export interface ErrorDetails {
  file?: string;
  line?: number;
  field?: string;
  record?: string;
  [key: string]: unknown;
}

interface ErrorSpec {
  readonly message: string;
  /** HTTP status the API answers with; the CLI maps every code to exit status 2. */
  readonly status: number;
}

export const ERROR_CODES = {
  PW_ERR_INVALID_VERSION: { message: 'Invalid version string', status: 400 },
  PW_ERR_UNKNOWN_VERSION_SCHEME: { message: 'No version ordering is known for this ecosystem', status: 400 },
  PW_ERR_INVALID_RANGE: { message: 'Invalid version range', status: 400 },
  PW_ERR_INVALID_CVSS: { message: 'Invalid CVSS vector', status: 400 },
  PW_ERR_PARSE: { message: 'Input could not be parsed', status: 400 },
  PW_ERR_UNKNOWN_FORMAT: { message: 'The format of this input was not recognised', status: 400 },
  PW_ERR_INVALID_RECORD: { message: 'A record does not follow its schema', status: 400 },
  PW_ERR_FILE_NOT_FOUND: { message: 'File not found', status: 404 },
  PW_ERR_FEED_UNAVAILABLE: { message: 'A feed could not be fetched', status: 502 },
  PW_ERR_USAGE: { message: 'Invalid command-line usage', status: 400 },
  PW_ERR_DATABASE: { message: 'The database could not be reached or refused an operation', status: 503 },
  PW_ERR_MIGRATION: { message: 'A database schema migration failed', status: 500 },
  PW_ERR_VALIDATION: { message: 'The request does not match its schema', status: 400 },
  PW_ERR_BAD_REQUEST: { message: 'The request could not be processed', status: 400 },
  PW_ERR_NOT_FOUND: { message: 'Not found', status: 404 },
  PW_ERR_PAYLOAD_TOO_LARGE: { message: 'The request body is too large', status: 413 },
  PW_ERR_UNSUPPORTED_MEDIA_TYPE: { message: 'The request body has an unsupported content type', status: 415 },
  PW_ERR_RATE_LIMITED: { message: 'Too many requests', status: 429 },
  PW_ERR_INTERNAL: { message: 'Internal server error', status: 500 },
  PW_ERR_UNAUTHENTICATED: { message: 'Authentication is required', status: 401 },
  PW_ERR_FORBIDDEN: { message: 'Not allowed', status: 403 },
  PW_ERR_CONFLICT: { message: 'The request conflicts with the current state', status: 409 },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class PatchwardenError extends Error {
  override readonly name = 'PatchwardenError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message?: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message ?? ERROR_CODES[code].message, options);
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.details = details;
  }

  /** Where the problem is, as `file:line (field)`, for human-readable output. */
  location(): string {
    const { file, line, field, record } = this.details;
    const parts: string[] = [];
    if (file) parts.push(line !== undefined ? `${file}:${line}` : file);
    if (record) parts.push(`record ${record}`);
    if (field) parts.push(`field ${field}`);
    return parts.join(', ');
  }

  toJSON(): { code: ErrorCode; message: string; details: ErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function pwError(
  code: ErrorCode,
  message?: string,
  details?: ErrorDetails,
  cause?: unknown,
): PatchwardenError {
  return new PatchwardenError(code, message, details, cause === undefined ? undefined : { cause });
}

/** Normalises anything thrown into a PatchwardenError, keeping the original as `cause`. */
export function asPatchwardenError(thrown: unknown, fallback: ErrorCode = 'PW_ERR_PARSE'): PatchwardenError {
  if (thrown instanceof PatchwardenError) return thrown;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new PatchwardenError(fallback, message, {}, { cause: thrown });
}
