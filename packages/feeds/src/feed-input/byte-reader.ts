/**
 * Reads exact byte counts from a stream of chunks: what a block-structured format such as tar
 * needs on top of Node's chunked streams.
 */
export class ByteReader {
  readonly #source: AsyncIterator<Buffer>;
  /** Unconsumed chunks, joined only when a read needs them (joining on arrival is quadratic). */
  #pending: Buffer[] = [];
  #pendingLength = 0;
  #done = false;
  #offset = 0;

  constructor(source: AsyncIterable<Buffer>) {
    this.#source = source[Symbol.asyncIterator]();
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.#offset;
  }

  async #fill(n: number): Promise<void> {
    while (this.#pendingLength < n && !this.#done) {
      const next = await this.#source.next();
      if (next.done) this.#done = true;
      else if (next.value.length > 0) {
        this.#pending.push(next.value);
        this.#pendingLength += next.value.length;
      }
    }
  }

  /** Exactly `n` bytes, or fewer only when the input ends first. */
  async read(n: number): Promise<Buffer> {
    await this.#fill(n);
    const joined = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending);
    const out = joined.subarray(0, n);
    const rest = joined.subarray(out.length);
    this.#pending = rest.length > 0 ? [rest] : [];
    this.#pendingLength = rest.length;
    this.#offset += out.length;
    return out;
  }

  /** Skips `n` bytes without holding them; returns how many were actually skipped. */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      if (this.#pendingLength === 0) {
        await this.#fill(1);
        if (this.#pendingLength === 0) break;
      }
      const head = this.#pending[0]!;
      const take = Math.min(left, head.length);
      if (take === head.length) this.#pending.shift();
      else this.#pending[0] = head.subarray(take);
      this.#pendingLength -= take;
      left -= take;
      this.#offset += take;
    }
    return n - left;
  }
}
