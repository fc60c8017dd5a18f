import { PatchwardenError, pwError } from '@patchwarden/core';
import type { ErrorDetails } from '@patchwarden/core';

const ZLIB_CODES = new Set(['Z_DATA_ERROR', 'Z_BUF_ERROR', 'Z_STREAM_ERROR', 'Z_NEED_DICT', 'Z_MEM_ERROR']);

/**
 * Turns whatever an input stream threw (fs, zlib, yauzl, stream-json) into a PatchwardenError that
 * names the file, so a broken download is reported as such and never as an anonymous Node error.
 */
export function inputError(thrown: unknown, file: string, details: ErrorDetails = {}): PatchwardenError {
  if (thrown instanceof PatchwardenError) {
    return thrown.details.file
      ? thrown
      : pwError(thrown.code, thrown.message, { ...thrown.details, file }, thrown);
  }
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT')
    return pwError('PW_ERR_FILE_NOT_FOUND', `${file}: no such file`, { file, ...details }, error);
  if (code !== undefined && ZLIB_CODES.has(code)) {
    return pwError(
      'PW_ERR_PARSE',
      `${file}: corrupt or truncated gzip data (${error.message})`,
      { file, ...details },
      error,
    );
  }
  return pwError('PW_ERR_PARSE', `${file}: ${error.message}`, { file, ...details }, error);
}
