import { pwError } from '@patchwarden/core';
import { withClient, connectedCommand } from '../api/api-command.ts';
import { HOUR_MS, wholeUnits } from '../api/duration.ts';
import { parseOutputFormat, renderJson, renderTable } from '../api/render-records.ts';

interface EnrolmentSecret {
  id: string;
  name: string;
  expiresAt: string;
  maxUses: number;
  uses: number;
  createdBy: string | null;
  createdAt: string;
  revokedAt: string | null;
}

function positiveInteger(text: string, field: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw pwError('PW_ERR_USAGE', `${field} must be a whole number of at least 1: ${text}`, { field });
  }
  return value;
}

/** `patchwarden enrolment create|list|revoke`: the secrets agents enrol with. */
export function enrolmentCommand() {
  const enrolment = connectedCommand('enrolment').description(
    'Enrolment secrets that agents use to register (the secret is shown once)',
  );

  enrolment
    .command('create')
    .description('Create an enrolment secret; it is printed once on standard output')
    .requiredOption('--name <name>', 'what the secret is for (e.g. the fleet or the image)')
    .option('--max-uses <n>', 'how many agents may enrol with it', '1')
    .option('--expires-in <duration>', 'lifetime in hours or days (e.g. 12h, 7d)', '24h')
    .option('--format <format>', 'text (the secret alone on its line) or json', 'text')
    .action(async (options, command) => {
      const format = parseOutputFormat(options.format, ['text', 'json']);
      const body = {
        name: options.name,
        maxUses: positiveInteger(options.maxUses, 'max-uses'),
        expiresInHours: wholeUnits(options.expiresIn, 'expires-in', HOUR_MS, 'hours'),
      };
      await withClient(command, async (client) => {
        const created = await client.request<{ enrolmentSecret: EnrolmentSecret; secret: string }>(
          'POST',
          '/enrolment-secrets',
          { body },
        );
        if (format === 'json') {
          process.stdout.write(renderJson(created));
          return;
        }
        const s = created.enrolmentSecret;
        process.stderr.write(
          `Enrolment secret "${s.name}" (${s.id}): up to ${s.maxUses} agents until ${s.expiresAt}\n` +
            'The secret is shown only now:\n',
        );
        process.stdout.write(`${created.secret}\n`);
      });
    });

  enrolment
    .command('list')
    .description('List enrolment secrets (never their values)')
    .option('--format <format>', 'table or json', 'table')
    .action(async (options, command) => {
      const format = parseOutputFormat(options.format);
      await withClient(command, async (client) => {
        const { items } = await client.get<{ items: EnrolmentSecret[] }>('/enrolment-secrets');
        if (format === 'json') {
          process.stdout.write(renderJson(items));
          return;
        }
        process.stdout.write(
          renderTable(items, [
            { header: 'ID', value: (s) => s.id, max: 36 },
            { header: 'NAME', value: (s) => s.name, max: 32 },
            {
              header: 'STATE',
              value: (s) => (s.revokedAt ? 'revoked' : s.uses >= s.maxUses ? 'used up' : 'active'),
            },
            { header: 'USES', value: (s) => `${s.uses}/${s.maxUses}` },
            { header: 'EXPIRES', value: (s) => s.expiresAt },
          ]),
        );
      });
    });

  enrolment
    .command('revoke')
    .description('Revoke an enrolment secret')
    .argument('<id>', 'secret id (from `enrolment list`)')
    .action(async (id, _options, command) => {
      await withClient(command, async (client) => {
        const s = await client.request<EnrolmentSecret>(
          'DELETE',
          `/enrolment-secrets/${encodeURIComponent(id)}`,
        );
        process.stdout.write(`Revoked enrolment secret "${s.name}" (${s.id})\n`);
      });
    });

  return enrolment;
}
