import { ERROR_CODES, pwError } from '@patchwarden/core';
import { describe, expect, it } from 'vitest';
import { toErrorResponse } from './to-error-response.ts';

const context = { requestId: 'req-1', bodyLimitBytes: 1024 };

function fastifyError(code: string, statusCode: number, message = 'fastify says no') {
  return Object.assign(new Error(message), { code, statusCode });
}

describe('toErrorResponse', () => {
  it('keeps a client PatchwardenError as it is', () => {
    const answer = toErrorResponse(
      pwError('PW_ERR_INVALID_RANGE', 'bad range ">=x"', { field: 'range' }),
      context,
    );
    expect(answer).toEqual({
      status: 400,
      body: { code: 'PW_ERR_INVALID_RANGE', message: 'bad range ">=x"', details: { field: 'range' } },
      logLevel: 'info',
    });
  });

  it('answers a server-side PatchwardenError with its code and status but not its message or details', () => {
    const thrown = pwError('PW_ERR_DATABASE', 'relation "secret_table" does not exist', { sql: 'SELECT 1' });
    const answer = toErrorResponse(thrown, context);
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({
      code: 'PW_ERR_DATABASE',
      message: ERROR_CODES.PW_ERR_DATABASE.message,
      details: { requestId: 'req-1' },
    });
    expect(JSON.stringify(answer.body)).not.toContain('secret_table');
    expect(answer.logLevel).toBe('error');
  });

  it('turns anything unknown into a 500 PW_ERR_INTERNAL that leaks nothing', () => {
    for (const thrown of [
      new Error('ENOENT /etc/patchwarden/secret.key'),
      'a string',
      null,
      42,
      { statusCode: 404 },
    ]) {
      const answer = toErrorResponse(thrown, context);
      expect(answer.status).toBe(500);
      expect(answer.body).toEqual({
        code: 'PW_ERR_INTERNAL',
        message: 'Internal server error',
        details: { requestId: 'req-1' },
      });
    }
  });

  it('maps fastify request errors to their codes', () => {
    expect(toErrorResponse(fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413), context)).toMatchObject({
      status: 413,
      body: { code: 'PW_ERR_PAYLOAD_TOO_LARGE', details: { limitBytes: 1024 } },
    });
    expect(toErrorResponse(fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415), context)).toMatchObject({
      status: 415,
      body: { code: 'PW_ERR_UNSUPPORTED_MEDIA_TYPE' },
    });
    expect(toErrorResponse(fastifyError('FST_ERR_CTP_INVALID_JSON_BODY', 400), context)).toMatchObject({
      status: 400,
      body: { code: 'PW_ERR_PARSE', details: { field: 'body' } },
    });
    expect(
      toErrorResponse(fastifyError('FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400, 'length mismatch'), context),
    ).toEqual({
      status: 400,
      body: {
        code: 'PW_ERR_BAD_REQUEST',
        message: 'length mismatch',
        details: { reason: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH' },
      },
      logLevel: 'info',
    });
  });

  it('treats a response that failed its schema as an internal error', () => {
    const answer = toErrorResponse(
      fastifyError('FST_ERR_RESPONSE_SERIALIZATION', 500, "Response doesn't match"),
      context,
    );
    expect(answer.status).toBe(500);
    expect(answer.body.code).toBe('PW_ERR_INTERNAL');
  });

  it('lists every validation issue and summarises the first in the message', () => {
    const thrown = Object.assign(new Error('x'), {
      validationContext: 'body',
      validation: [
        { path: ['items', 2, 'name'], message: 'Expected string' },
        { path: ['count'], message: 'Too small' },
      ],
    });
    expect(toErrorResponse(thrown, context)).toEqual({
      status: 400,
      body: {
        code: 'PW_ERR_VALIDATION',
        message: 'body.items[2].name: Expected string (and 1 more)',
        details: {
          issues: [
            { path: 'body.items[2].name', message: 'Expected string' },
            { path: 'body.count', message: 'Too small' },
          ],
        },
      },
      logLevel: 'info',
    });
  });
});
