/**
 * Progress on standard error: a self-overwriting line on a terminal, plain lines otherwise (CI
 * logs), nothing with --quiet. Standard output stays clean for the report.
 */
export class Progress {
  readonly #enabled: boolean;
  readonly #tty: boolean;
  #lastUpdate = 0;
  #dirty = false;

  constructor(enabled: boolean, stream: NodeJS.WriteStream = process.stderr) {
    this.#enabled = enabled;
    this.#tty = stream.isTTY === true;
  }

  /** A transient status; rate-limited so that a fast import is not slowed by printing. */
  update(text: string): void {
    if (!this.#enabled) return;
    const now = Date.now();
    if (now - this.#lastUpdate < (this.#tty ? 100 : 2000)) return;
    this.#lastUpdate = now;
    if (this.#tty) {
      process.stderr.write(`\r\x1b[K${text}`);
      this.#dirty = true;
    } else {
      process.stderr.write(`${text}\n`);
    }
  }

  /** A lasting message. */
  note(text: string): void {
    if (!this.#enabled) return;
    this.done();
    process.stderr.write(`${text}\n`);
  }

  done(): void {
    if (this.#dirty) process.stderr.write('\r\x1b[K');
    this.#dirty = false;
  }
}
