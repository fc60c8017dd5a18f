import { LineIndex } from './line-index.ts';

/** After this many keys that cannot be found, the text is spelled unusually: stop searching. */
const MAX_MISSES = 3;

/**
 * Finds the line of successive object-valued keys (`"key": {`) in JSON text. JSON.parse keeps
 * keys in document order (apart from integer-like keys), so walking the parsed value in order and
 * searching forward from the previous hit finds each key without a position-aware JSON parser.
 * A key that cannot be found (escaped differently in the file) just has no line; the cursor stays
 * where it was. Repeated misses switch the search off, so that hostile input cannot make it
 * quadratic.
 */
export class JsonKeyLocator {
  readonly #text: string;
  readonly #lines: LineIndex;
  #cursor = 0;
  #misses = 0;

  constructor(text: string) {
    this.#text = text;
    this.#lines = new LineIndex(text);
  }

  next(key: string): number | undefined {
    if (this.#misses >= MAX_MISSES) return undefined;
    const needle = JSON.stringify(key);
    for (
      let at = this.#text.indexOf(needle, this.#cursor);
      at !== -1;
      at = this.#text.indexOf(needle, at + 1)
    ) {
      const end = at + needle.length;
      if (/^\s*:\s*\{/.test(this.#text.slice(end, end + 64))) {
        this.#cursor = end;
        return this.#lines.lineAt(at);
      }
    }
    this.#misses++;
    return undefined;
  }
}
