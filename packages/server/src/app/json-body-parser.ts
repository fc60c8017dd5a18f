import type { FastifyInstance } from 'fastify';

/**
 * Fastify's JSON body parser (secure-json-parse: prototype-poisoning keys refused) without its
 * cost on ordinary bodies. After parsing, secure-json-parse runs two regular expressions over the
 * whole text looking for a `"__proto__"` or `"constructor"` key, each letter possibly written as a
 * `\u00XX` escape; on a 250 KB inventory upload those scans cost more than JSON.parse itself.
 * Neither can match a text that contains no `\u00`, no `__proto__` and no `constructor`, so such
 * a text (nearly every body) is parsed with JSON.parse alone, with the same result; any other
 * body, and any body JSON.parse refuses, goes to Fastify's own parser, which decides and reports
 * exactly as before.
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  const secureParser = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (
      text.length > 0 &&
      text.charCodeAt(0) !== 0xfeff &&
      !text.includes('\\u00') &&
      !text.includes('__proto__') &&
      !text.includes('constructor')
    ) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        secureParser(request, text, done);
        return;
      }
      done(null, parsed);
      return;
    }
    secureParser(request, text, done);
  });
}
