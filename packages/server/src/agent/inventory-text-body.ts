import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { INVENTORY_TEXT_MEDIA_TYPE, pwError } from '@patchwarden/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * The canonical inventory text of an upload in INVENTORY_TEXT_MEDIA_TYPE, as the body parser
 * leaves it: split at its newlines (each line decoded on its own) and hashed over the bytes
 * received. Only the parser makes one, so a JSON body can never pass for one.
 */
export class UploadedInventoryText {
  #lines: readonly string[];
  /** `sha256:<hex>` of the text's bytes, as the inventory hash is defined. */
  readonly hash: string;

  constructor(lines: readonly string[], hash: string) {
    this.#lines = lines;
    this.hash = hash;
  }

  get lines(): readonly string[] {
    return this.#lines;
  }

  /**
   * The lines, handed over: this body keeps none of them. A request holds its body until it is
   * answered, several database round trips later; an upload's line strings held that long survive
   * the young generation's collections and are copied, then promoted, where otherwise nearly all
   * of them die young (the set keeps the items, not the lines).
   */
  takeLines(): readonly string[] {
    const lines = this.#lines;
    this.#lines = [];
    return lines;
  }
}

const NEWLINE = 0x0a;

/** What the OpenAPI document says of an INVENTORY_TEXT_MEDIA_TYPE body. */
export const INVENTORY_TEXT_BODY_DOCUMENTATION = {
  type: 'string',
  description:
    'Line 1: the envelope as one line of JSON, an object with agentId, inventoryHash, facts (AgentFacts) ' +
    'and collectedAt, as in AgentInventoryRequest. Then the canonical inventory text, unescaped: header ' +
    '`patchwarden-inventory/1`, the OS line, one JSON array per package in code-unit order, no trailing ' +
    'newline. inventoryHash is the SHA-256 of that text (everything after the first newline).',
  examples: [
    '{"agentId":"…","inventoryHash":"sha256:…","facts":{…},"collectedAt":"2026-01-01T00:00:00Z"}\n' +
      'patchwarden-inventory/1\n["debian","12","bookworm","Debian GNU/Linux","Debian GNU/Linux 12 (bookworm)",[]]\n' +
      '["dpkg","os",null,"libc6","2.36-9+deb12u4","amd64","glibc","2.36-9+deb12u4",null,"/var/lib/dpkg/status"]',
  ],
} as const;

/**
 * Reads the upload as its chunks arrive: line 1 (the envelope) is parsed as JSON by `parseEnvelope`
 * and the rest is hashed and split at its newlines without ever being joined, so that no string
 * or buffer of the whole upload is built (one that size lands in V8's large-object space, and
 * allocating it cost about a millisecond per upload). A UTF-8 newline byte is always a newline, so
 * chunks split safely at bytes; each line must be valid UTF-8 on its own, else the hash would cover
 * bytes other than the text parsed. The body limit is enforced here (custom parsers get the raw
 * stream): past it the upload is refused with 413, as Fastify's own parsers do.
 */
export class InventoryTextReader {
  readonly #limit: number;
  readonly #hash = createHash('sha256');
  readonly #lines: string[] = [];
  #envelope: Buffer[] | undefined = [];
  #envelopeText: string | undefined;
  /** The bytes of a line that a chunk boundary cut, until its newline arrives. */
  #partial: Buffer[] = [];
  #received = 0;
  #lineNumber = 1;

  constructor(limitBytes: number) {
    this.#limit = limitBytes;
  }

  /** Takes the next chunk; throws PW_ERR_PAYLOAD_TOO_LARGE past the limit, PW_ERR_PARSE on bad UTF-8. */
  push(chunk: Buffer): void {
    this.#received += chunk.length;
    if (this.#received > this.#limit) throw tooLarge(this.#limit);
    let start = 0;
    if (this.#envelope !== undefined) {
      const end = chunk.indexOf(NEWLINE);
      if (end === -1) {
        this.#envelope.push(chunk);
        return;
      }
      this.#envelope.push(chunk.subarray(0, end));
      this.#envelopeText = decodeLine(Buffer.concat(this.#envelope), 1);
      this.#envelope = undefined;
      start = end + 1;
    }
    this.#hash.update(start === 0 ? chunk : chunk.subarray(start));
    let end = chunk.indexOf(NEWLINE, start);
    if (end !== -1 && this.#partial.length > 0) {
      // The line an earlier chunk began ends here.
      this.#endLine(chunk.subarray(start, end));
      start = end + 1;
      end = chunk.indexOf(NEWLINE, start);
    }
    if (end !== -1) {
      // This chunk's whole lines: checked as one region (a newline byte is never inside a UTF-8
      // sequence, so the region is valid exactly when each of its lines is; one that is not is
      // checked line by line to name the line) and decoded straight from the chunk.
      const valid = isUtf8(chunk.subarray(start, chunk.lastIndexOf(NEWLINE)));
      while (end !== -1) {
        this.#lineNumber++;
        if (!valid) decodeLine(chunk.subarray(start, end), this.#lineNumber - 1);
        this.#lines.push(chunk.toString('utf8', start, end));
        start = end + 1;
        end = chunk.indexOf(NEWLINE, start);
      }
    }
    if (start < chunk.length) this.#partial.push(chunk.subarray(start));
  }

  /** The envelope's text and the inventory, once the body has ended. */
  finish(): { envelope: string; text: UploadedInventoryText } {
    if (this.#envelopeText === undefined) {
      throw pwError(
        'PW_ERR_PARSE',
        'The body has no inventory text: line 1 (the JSON envelope) must end with a newline',
        {
          field: 'body',
          line: 1,
        },
      );
    }
    // The last line has no newline (a canonical text ends without one); an empty one is kept so
    // that the text's own checks report the trailing newline.
    this.#endLine(Buffer.alloc(0));
    return {
      envelope: this.#envelopeText,
      text: new UploadedInventoryText(this.#lines, `sha256:${this.#hash.digest('hex')}`),
    };
  }

  #endLine(tail: Buffer): void {
    this.#lineNumber++;
    const bytes = this.#partial.length === 0 ? tail : Buffer.concat([...this.#partial, tail]);
    this.#partial = [];
    // Line numbers of the inventory text (its header is line 1), as its other errors give them.
    this.#lines.push(decodeLine(bytes, this.#lineNumber - 1));
  }
}

function decodeLine(bytes: Buffer, line: number): string {
  if (!isUtf8(bytes)) {
    throw pwError('PW_ERR_PARSE', `Line ${line} of the inventory text is not valid UTF-8`, {
      field: 'body',
      line,
    });
  }
  return bytes.toString('utf8');
}

function tooLarge(limit: number) {
  return pwError(
    'PW_ERR_PAYLOAD_TOO_LARGE',
    `The request body is larger than the ${limit} bytes this endpoint accepts`,
    {
      limitBytes: limit,
    },
  );
}

/**
 * Registers the INVENTORY_TEXT_MEDIA_TYPE body parser: the body becomes the envelope's fields
 * (parsed by Fastify's JSON parser, so with its prototype-poisoning checks) plus `text`, an
 * UploadedInventoryText. The route's schema for that media type validates the result.
 */
export function installInventoryTextParser(app: FastifyInstance): void {
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser(INVENTORY_TEXT_MEDIA_TYPE, (request: FastifyRequest, payload: Readable, done) => {
    const limit = request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit ?? 1024 * 1024;
    const declared = Number(request.headers['content-length']);
    if (declared > limit) {
      done(tooLarge(limit), undefined);
      return;
    }
    const reader = new InventoryTextReader(limit);
    let failed = false;
    const fail = (error: Error): void => {
      if (failed) return;
      failed = true;
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      done(error, undefined);
    };
    const onData = (chunk: Buffer | string): void => {
      try {
        reader.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      } catch (error) {
        fail(error as Error);
      }
    };
    const onEnd = (): void => {
      if (failed) return;
      let read: ReturnType<InventoryTextReader['finish']>;
      try {
        read = reader.finish();
      } catch (error) {
        fail(error as Error);
        return;
      }
      jsonParser(request, read.envelope, (error, envelope) => {
        if (error) {
          fail(
            pwError('PW_ERR_PARSE', 'Line 1 of the body (the JSON envelope) is not valid JSON', {
              field: 'body',
              line: 1,
            }),
          );
          return;
        }
        if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) {
          fail(
            pwError('PW_ERR_PARSE', 'Line 1 of the body (the JSON envelope) must be a JSON object', {
              field: 'body',
              line: 1,
            }),
          );
          return;
        }
        failed = true;
        done(null, { ...(envelope as Record<string, unknown>), text: read.text });
      });
    };
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', (error) => fail(error));
  });
}
