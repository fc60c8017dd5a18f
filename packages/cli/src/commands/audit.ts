import { createWriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { withClient, connectedCommand } from '../api/api-command.ts';
import { parseOutputFormat, renderJson } from '../api/render-records.ts';

interface AuditVerification {
  ok: boolean;
  checked: number;
  firstBadSeq?: number;
  reason?: string;
  head?: { seq: number; hash: string };
}

/** `patchwarden audit export|verify`: take a copy of the hash-chained audit log, check the chain. */
export function auditCommand(setExitCode: (code: number) => void) {
  const audit = connectedCommand('audit').description('The hash-chained audit log');

  audit
    .command('export')
    .description('Stream the audit log, oldest first, as CSV or a JSON array')
    .option('--format <format>', 'csv or json', 'json')
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .option('--action <action>', 'only this action, or a prefix ending in * (token.*)')
    .option('--actor <actor>', 'only this actor id or name')
    .option('--from <instant>', 'from this RFC 3339 instant (inclusive)')
    .option('--to <instant>', 'until this RFC 3339 instant (exclusive)')
    .action(async (options, command) => {
      const format = parseOutputFormat(options.format, ['json', 'csv']);
      await withClient(command, async (client) => {
        const body = await client.stream('/audit/export', {
          format,
          action: options.action,
          actor: options.actor,
          from: options.from,
          to: options.to,
        });
        // stdout stays open after the pipeline: later output (and the EPIPE handler) still need it.
        const sink = options.output
          ? createWriteStream(options.output, { mode: 0o600 })
          : new Writable({
              write: (chunk, _encoding, done) => void process.stdout.write(chunk, () => done()),
            });
        await pipeline(body, sink);
        if (options.output) process.stderr.write(`Audit log written to ${options.output}\n`);
      });
    });

  audit
    .command('verify')
    .description('Recompute the hash chain on the server; exit 1 when it is broken')
    .option('--head-seq <n>', 'a head recorded earlier (seq), to detect truncation')
    .option('--head-hash <hash>', 'the hash of that head')
    .option('--format <format>', 'text or json', 'text')
    .action(async (options, command) => {
      const format = parseOutputFormat(options.format, ['text', 'json']);
      await withClient(command, async (client) => {
        const result = await client.get<AuditVerification>('/audit/verify', {
          headSeq: options.headSeq,
          headHash: options.headHash,
        });
        if (!result.ok) setExitCode(1);
        if (format === 'json') {
          process.stdout.write(renderJson(result));
          return;
        }
        process.stdout.write(
          result.ok
            ? `ok: ${result.checked} entries, head ${result.head ? `${result.head.seq} ${result.head.hash}` : '(empty)'}\n`
            : `BROKEN at entry ${result.firstBadSeq}: ${result.reason} (${result.checked} entries checked)\n`,
        );
      });
    });

  return audit;
}
