import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { pwError } from '@patchwarden/core';
import { connectedCommand, withClient } from '../api/api-command.ts';
import type { ApiClient } from '../api/api-client.ts';
import { parseOutputFormat, renderFields, renderJson, renderTable } from '../api/render-records.ts';

export interface ApiAsset {
  id: string;
  name: string;
  kind: string;
  hostname?: string;
  ips: string[];
  os?: { id: string; versionId?: string; name?: string };
  environment?: string;
  businessImpact?: number;
  exposure?: string;
  ownerTeam?: string;
  tags: string[];
  lastSeen?: string;
  state: 'unknown' | 'stale' | 'current';
  [key: string]: unknown;
}

const LIST_FIELDS = new Set(['services', 'tags', 'assetClasses']);
const TEXT_FIELDS = new Set([
  'name',
  'kind',
  'environment',
  'exposure',
  'dataSensitivity',
  'ownerTeam',
  'location',
  'timeZone',
]);
const EDITABLE = [...TEXT_FIELDS, ...LIST_FIELDS, 'businessImpact'].sort();

/**
 * `key=value` pairs into the PATCH body: lists split on commas, `businessImpact` a number, and an
 * empty value clears the attribute (null).
 */
export function assetPatchFrom(pairs: readonly string[]): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0)
      throw pwError('PW_ERR_USAGE', `--set needs key=value, got ${JSON.stringify(pair)}`, { field: 'set' });
    const key = pair.slice(0, at).trim();
    const value = pair.slice(at + 1).trim();
    if (key === 'name' || key === 'kind') {
      if (value === '') throw pwError('PW_ERR_USAGE', `${key} cannot be cleared`, { field: key });
      patch[key] = value;
    } else if (TEXT_FIELDS.has(key)) {
      patch[key] = value === '' ? null : value;
    } else if (LIST_FIELDS.has(key)) {
      patch[key] =
        value === ''
          ? null
          : value
              .split(',')
              .map((v) => v.trim())
              .filter((v) => v !== '');
    } else if (key === 'businessImpact') {
      const impact = Number(value);
      if (value !== '' && (!Number.isInteger(impact) || impact < 1 || impact > 5)) {
        throw pwError('PW_ERR_USAGE', `businessImpact is 1 to 5, got ${JSON.stringify(value)}`, {
          field: key,
        });
      }
      patch[key] = value === '' ? null : impact;
    } else {
      throw pwError('PW_ERR_USAGE', `${key} cannot be edited; editable: ${EDITABLE.join(', ')}`, {
        field: key,
      });
    }
  }
  if (Object.keys(patch).length === 0)
    throw pwError('PW_ERR_USAGE', 'Nothing to change: give --set key=value', { field: 'set' });
  return patch;
}

/** Every page of a cursor-paginated list, up to `limit` items. */
export async function listAll<T>(
  client: ApiClient,
  path: string,
  query: Record<string, string | number | undefined>,
  limit: number,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.get<{ items: T[]; nextCursor?: string }>(path, {
      ...query,
      limit: Math.min(1000, limit - items.length),
      cursor,
    });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined && items.length < limit);
  return items;
}

function osText(asset: ApiAsset): string | undefined {
  return asset.os ? `${asset.os.id}${asset.os.versionId ? ` ${asset.os.versionId}` : ''}` : undefined;
}

function importFormat(file: string, given: string | undefined): 'csv' | 'json' {
  const format = given ?? extname(file).slice(1).toLowerCase();
  if (format !== 'csv' && format !== 'json') {
    throw pwError(
      'PW_ERR_UNKNOWN_FORMAT',
      'Cannot tell the format from the file name: pass --format csv or json',
      {
        file,
        field: 'format',
      },
    );
  }
  return format;
}

/** `patchwarden assets list|show|import|edit` over the API. */
export function assetsCommand() {
  const assets = connectedCommand('assets').description('The asset inventory on the server');

  assets
    .command('list')
    .description('List assets, optionally through an asset filter (e.g. "env:prod team:web os:ubuntu")')
    .option('--filter <text>', 'asset filter text')
    .option('--limit <n>', 'at most this many assets', '1000')
    .option('--format <format>', 'table or json', 'table')
    .action(async (options, command) => {
      const format = parseOutputFormat(options.format);
      await withClient(command, async (client) => {
        const items = await listAll<ApiAsset>(
          client,
          '/assets',
          { filter: options.filter },
          Number(options.limit),
        );
        if (format === 'json') {
          process.stdout.write(renderJson(items));
          return;
        }
        process.stdout.write(
          renderTable(items, [
            { header: 'ID', value: (a) => a.id, max: 36 },
            { header: 'NAME', value: (a) => a.name, max: 32 },
            { header: 'KIND', value: (a) => a.kind },
            { header: 'OS', value: osText, max: 20 },
            { header: 'ENV', value: (a) => a.environment },
            { header: 'TEAM', value: (a) => a.ownerTeam },
            { header: 'IMPACT', value: (a) => a.businessImpact },
            { header: 'EXPOSURE', value: (a) => a.exposure },
            { header: 'STATE', value: (a) => a.state },
            { header: 'LAST SEEN', value: (a) => a.lastSeen },
          ]),
        );
        process.stderr.write(`${items.length} assets\n`);
      });
    });

  assets
    .command('show')
    .description('Show one asset with its inventory summary')
    .argument('<id>', 'asset id')
    .option('--format <format>', 'table or json', 'table')
    .action(async (id, options, command) => {
      const format = parseOutputFormat(options.format);
      await withClient(command, async (client) => {
        const asset = await client.get<ApiAsset>(`/assets/${encodeURIComponent(id)}`);
        process.stdout.write(format === 'json' ? renderJson(asset) : renderFields(asset));
      });
    });

  assets
    .command('import')
    .description('Import or merge assets from a CSV or JSON list (matched by identity rules on the server)')
    .argument('<file>', 'CSV or JSON file')
    .option('--format <format>', 'csv or json (default: from the file extension)')
    .option('--output <format>', 'table or json', 'table')
    .action(async (file, options, command) => {
      const format = importFormat(file, options.format);
      const output = parseOutputFormat(options.output);
      let content: string;
      try {
        content = await readFile(file, 'utf8');
      } catch (error) {
        throw pwError('PW_ERR_FILE_NOT_FOUND', `Cannot read ${file}`, { file }, error);
      }
      await withClient(command, async (client) => {
        const result = await client.request<{
          created: number;
          merged: number;
          assets: { id: string; name: string; rule: string }[];
        }>('POST', '/assets/import', { body: { format, content } });
        if (output === 'json') {
          process.stdout.write(renderJson(result));
          return;
        }
        process.stdout.write(
          renderTable(result.assets, [
            { header: 'ID', value: (a) => a.id, max: 36 },
            { header: 'NAME', value: (a) => a.name, max: 40 },
            { header: 'RULE', value: (a) => a.rule },
          ]),
        );
        process.stdout.write(`${file}: ${result.created} created, ${result.merged} merged\n`);
      });
    });

  assets
    .command('edit')
    .description(`Change curated attributes (${EDITABLE.join(', ')}); an empty value clears one`)
    .argument('<id>', 'asset id')
    .requiredOption('--set <key=value...>', 'attribute to set; lists are comma-separated (tags=a,b)')
    .option('--format <format>', 'table or json', 'table')
    .action(async (id, options, command) => {
      const format = parseOutputFormat(options.format);
      const patch = assetPatchFrom(options.set);
      await withClient(command, async (client) => {
        const asset = await client.request<ApiAsset>('PATCH', `/assets/${encodeURIComponent(id)}`, {
          body: patch,
        });
        process.stdout.write(format === 'json' ? renderJson(asset) : renderFields(asset));
      });
    });

  return assets;
}
