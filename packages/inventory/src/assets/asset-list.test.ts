import { describe, expect, it } from 'vitest';
import { PatchwardenError, validateAssetRecords } from '@patchwarden/core';
import { parseAssetCsv, parseAssetJson, parseAssetList } from './asset-list.ts';

function rejection(run: () => unknown): PatchwardenError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PatchwardenError);
    return error as PatchwardenError;
  }
  throw new Error('accepted but should not be');
}

// The kind of list a network team exports: quoted cells with commas and a line break, a BOM, CRLF.
const NETWORK_CSV =
  '\uFEFFName,Kind,IP Address,MAC,OS,OS Version,Environment,Business Impact,Owner Team,Location,Time Zone,Tags\r\n' +
  'core-sw-01,network-device,10.0.0.1,00:1F:3C:87:66:50,junos,21.4R3,production,5,network,"FRA2, rack 12",Europe/Berlin,"core;pci"\r\n' +
  '\r\n' +
  'cam-lobby,iot-device,"10.20.0.5, 10.20.0.6",6C-2E-85-19-AF-00,,,office,2,facilities,"Lobby\r\nnorth wall",Europe/Berlin,camera\r\n' +
  'scanner-12,handheld,10.4.0.12,,android,14,production,sevre,logistics,Warehouse 3,America/Chicago,\r\n';

describe('parseAssetCsv', () => {
  it('reads every row with the line it starts on, whatever the header spelling', () => {
    const records = parseAssetCsv(NETWORK_CSV, 'network.csv');
    expect(records.map((r) => r.line)).toEqual([2, 4, 6]);
    expect(records[0]!.values).toMatchObject({
      Name: 'core-sw-01',
      Location: 'FRA2, rack 12',
      Tags: 'core;pci',
    });
    expect(records[1]!.values['Location']).toBe('Lobby\r\nnorth wall');
    expect(records[0]!.columns).toMatchObject({ Name: 1, 'Business Impact': 8 });
  });

  it('hands the core validator what it needs to name the line and column of a bad cell', () => {
    const { rows, errors } = validateAssetRecords(parseAssetCsv(NETWORK_CSV, 'network.csv'));
    expect(rows.map((r) => r.facts.name)).toEqual(['core-sw-01', 'cam-lobby']);
    expect(rows[1]!.facts).toMatchObject({ ips: ['10.20.0.5', '10.20.0.6'], macs: ['6c:2e:85:19:af:00'] });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toBe(
      'network.csv:6: business_impact (column 8): "sevre" is not a business impact: 1 to 5, or negligible, low, medium, high, critical',
    );
    expect(errors[0]!.details).toMatchObject({
      file: 'network.csv',
      line: 6,
      column: 8,
      field: 'business_impact',
    });
  });

  it('detects ;-separated exports from comma-decimal locales', () => {
    const records = parseAssetCsv('name;ips;tags\nprinter-3f;10.9.0.3;floor3, color\n', 'de.csv');
    expect(records[0]!.values).toEqual({ name: 'printer-3f', ips: '10.9.0.3', tags: 'floor3, color' });
  });

  it('refuses an unknown or repeated header at line 1 naming its column', () => {
    const unknown = rejection(() => parseAssetCsv('name,enviroment\nx,prod\n', 'a.csv'));
    expect(unknown.message).toBe(
      'a.csv:1: unknown column "enviroment" (column 2); did you mean "environment"?',
    );
    expect(unknown.details).toMatchObject({ file: 'a.csv', line: 1, column: 2 });
    expect(rejection(() => parseAssetCsv('name,ip,IPs\n', 'a.csv')).message).toBe(
      'a.csv:1: column 3 ("IPs") repeats column 2',
    );
  });

  it('refuses a row with more cells than the header, and broken quoting, naming the line', () => {
    expect(
      rejection(() => parseAssetCsv('name,kind\na,server\nb,server,extra\n', 'a.csv')).details,
    ).toMatchObject({
      line: 3,
      column: 3,
    });
    const broken = rejection(() => parseAssetCsv('name,kind\n"a,server\n', 'b.csv'));
    expect(broken.code).toBe('PW_ERR_PARSE');
    expect(broken.message).toMatch(/^b\.csv:\d+: not a valid CSV file/);
  });

  it('an empty file has no header to read', () => {
    expect(rejection(() => parseAssetCsv('', 'e.csv')).message).toBe(
      'e.csv:1: empty file: expected a header row naming the columns',
    );
  });
});

describe('parseAssetJson', () => {
  const json = `{
  "exportedBy": "mdm",
  "assets": [
    { "name": "tablet-1", "kind": "handheld", "macs": ["c0:63:94:05:01:03"], "tags": ["kiosk"] },
    {
      "name": "tablet-2",
      "kind": "handheld",
      "businessImpact": 9
    }
  ]
}`;

  it('reads {"assets": [...]} with the line each object starts on', () => {
    const records = parseAssetJson(json, 'mdm.json');
    expect(records.map((r) => [r.record, r.line])).toEqual([
      ['[0]', 4],
      ['[1]', 5],
    ]);
    const { errors } = validateAssetRecords(records);
    expect(errors.map((e) => e.message)).toEqual([
      'mdm.json:5: business_impact: "9" is not a business impact: 1 to 5, or negligible, low, medium, high, critical',
    ]);
  });

  it('reads a bare array, and refuses what is not a list of objects', () => {
    expect(parseAssetList('[{"name":"a"},\n{"name":"b"}]', 'x.txt').map((r) => r.line)).toEqual([1, 2]);
    expect(rejection(() => parseAssetJson('{"hosts": []}', 'h.json')).message).toBe(
      'h.json: expected an array of assets or {"assets": [...]}',
    );
    expect(rejection(() => parseAssetJson('[{"name":"a"}, 3]', 'h.json')).details).toMatchObject({
      record: '[1]',
    });
    expect(rejection(() => parseAssetJson('[{"name":', 'h.json')).code).toBe('PW_ERR_PARSE');
  });

  it('parseAssetList picks CSV for anything else', () => {
    expect(parseAssetList('name\nweb01\n', 'list.txt')).toEqual([
      { file: 'list.txt', line: 2, values: { name: 'web01' }, columns: { name: 1 } },
    ]);
  });
});
