import { withClient, connectedCommand } from '../api/api-command.ts';
import { DAY_MS, wholeUnits } from '../api/duration.ts';
import { parseOutputFormat, renderJson, renderTable } from '../api/render-records.ts';

interface ApiToken {
  id: string;
  userId: string;
  name: string;
  scopes: string[];
  expiresAt: string;
  lastUsedAt: string | null;
  createdAt: string;
  revokedAt: string | null;
}
interface MeAnswer {
  permissions: string[];
}

function splitScopes(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(/[\s,]+/)).filter((v) => v !== '');
}

/** `patchwarden tokens create|list|revoke`: API tokens for scripts and CI. */
export function tokensCommand() {
  const tokens = connectedCommand('tokens').description(
    'API tokens for scripts and CI (the secret is shown once)',
  );

  tokens
    .command('create')
    .description('Create an API token; its secret is printed once on standard output')
    .requiredOption('--name <name>', 'what the token is for')
    .option('--scopes <scopes...>', 'permissions (e.g. assets:read findings:read); default: all of yours')
    .option('--expires-in <duration>', 'lifetime in days (e.g. 30d, 2w)', '30d')
    .option('--format <format>', 'text (the secret alone on its line) or json', 'text')
    .action(async (options, command) => {
      const format = parseOutputFormat(options.format, ['text', 'json']);
      const days = wholeUnits(options.expiresIn, 'expires-in', DAY_MS, 'days');
      await withClient(command, async (client) => {
        const scopes = options.scopes
          ? splitScopes(options.scopes)
          : (await client.get<MeAnswer>('/auth/me')).permissions;
        const created = await client.request<{ token: ApiToken; secret: string }>('POST', '/tokens', {
          body: { name: options.name, scopes, expiresInDays: days },
        });
        if (format === 'json') {
          process.stdout.write(renderJson(created));
          return;
        }
        process.stderr.write(
          `Token "${created.token.name}" (${created.token.id}) expires ${created.token.expiresAt}; ` +
            `scopes: ${created.token.scopes.join(' ')}\nThe secret is shown only now:\n`,
        );
        process.stdout.write(`${created.secret}\n`);
      });
    });

  tokens
    .command('list')
    .description('List my API tokens (--all: everyone’s, with tokens:manage)')
    .option('--all', 'every user’s tokens')
    .option('--format <format>', 'table or json', 'table')
    .action(async (options, command) => {
      const format = parseOutputFormat(options.format);
      await withClient(command, async (client) => {
        const { items } = await client.get<{ items: ApiToken[] }>(
          '/tokens',
          options.all ? { all: 'true' } : {},
        );
        if (format === 'json') {
          process.stdout.write(renderJson(items));
          return;
        }
        process.stdout.write(
          renderTable(items, [
            { header: 'ID', value: (t) => t.id, max: 36 },
            { header: 'NAME', value: (t) => t.name, max: 32 },
            { header: 'STATE', value: (t) => (t.revokedAt ? 'revoked' : 'active') },
            { header: 'EXPIRES', value: (t) => t.expiresAt },
            { header: 'LAST USED', value: (t) => t.lastUsedAt },
            { header: 'SCOPES', value: (t) => t.scopes.join(' '), max: 60 },
          ]),
        );
      });
    });

  tokens
    .command('revoke')
    .description('Revoke an API token')
    .argument('<id>', 'token id (from `tokens list`)')
    .action(async (id, _options, command) => {
      await withClient(command, async (client) => {
        const token = await client.request<ApiToken>('DELETE', `/tokens/${encodeURIComponent(id)}`);
        process.stdout.write(`Revoked token "${token.name}" (${token.id}) at ${token.revokedAt}\n`);
      });
    });

  return tokens;
}
