import { describe, expect, it } from 'vitest';
import { PatchwardenError } from '../errors/index.ts';
import type { AssetRecord } from './asset-import.ts';
import {
  assetFactsFromRecord,
  resolveAssetColumn,
  validateAssetRecords,
  validTimeZone,
} from './asset-import.ts';

function rejection(record: AssetRecord): PatchwardenError {
  try {
    assetFactsFromRecord(record);
  } catch (error) {
    expect(error).toBeInstanceOf(PatchwardenError);
    return error as PatchwardenError;
  }
  throw new Error('accepted but should not be');
}

describe('assetFactsFromRecord', () => {
  it('turns a full CSV row into normalised facts', () => {
    const facts = assetFactsFromRecord({
      file: 'assets.csv',
      line: 2,
      values: {
        name: 'core-sw-01',
        kind: 'Network-Device',
        hostname: 'CORE-SW-01.net.example.com',
        ips: '10.0.0.1; 2001:DB8::1',
        macs: '0011.2233.4455',
        os: 'junos',
        os_version: '21.4R3',
        environment: 'Production',
        business_impact: 'critical',
        exposure: 'internal',
        data_sensitivity: 'internal',
        owner_team: 'network',
        services: 'core-routing, vpn',
        location: 'FRA2 rack 12',
        time_zone: 'Europe/Berlin',
        tags: 'pci|dmz',
      },
    });
    expect(facts).toEqual({
      name: 'core-sw-01',
      kind: 'network-device',
      hostname: 'core-sw-01',
      fqdn: 'core-sw-01.net.example.com',
      ips: ['10.0.0.1', '2001:db8::1'],
      macs: ['00:11:22:33:44:55'],
      os: { id: 'junos', versionId: '21.4R3' },
      environment: 'production',
      businessImpact: 5,
      exposure: 'internal',
      dataSensitivity: 'internal',
      ownerTeam: 'network',
      services: ['core-routing', 'vpn'],
      location: 'FRA2 rack 12',
      timeZone: 'Europe/Berlin',
      tags: ['pci', 'dmz'],
    });
  });

  it('reads JSON records with camelCase keys, lists, numbers and an os object; derives the OS ecosystem', () => {
    expect(
      assetFactsFromRecord({
        file: 'assets.json',
        record: '[0]',
        values: {
          name: 'scanner-12',
          kind: 'handheld',
          ips: ['10.4.0.12'],
          businessImpact: 2,
          ownerTeam: 'logistics',
          timeZone: 'UTC',
          os: { id: 'Ubuntu', versionId: '22.04' },
        },
      }),
    ).toEqual({
      name: 'scanner-12',
      kind: 'handheld',
      ips: ['10.4.0.12'],
      businessImpact: 2,
      ownerTeam: 'logistics',
      timeZone: 'UTC',
      os: { id: 'ubuntu', versionId: '22.04', ecosystem: 'Ubuntu:22.04:LTS' },
    });
  });

  it('splits "ubuntu 22.04" in a single os cell', () => {
    expect(assetFactsFromRecord({ values: { name: 'x', os: 'Debian 12' } }).os).toEqual({
      id: 'debian',
      versionId: '12',
      ecosystem: 'Debian:12',
    });
  });

  it.each([
    [{ name: 'x', kind: 'sever' }, 'kind', 'assets.csv:7: kind (column 2): "sever" is not one of'],
    [
      { name: 'x', ips: '10.0.0.1;10.0.0.256' },
      'ips',
      'assets.csv:7: ips (column 5): "10.0.0.256" is not an IPv4 or IPv6 address',
    ],
    [
      { name: 'x', macs: '00:11:22:33:44' },
      'macs',
      'assets.csv:7: macs: "00:11:22:33:44" is not a MAC address',
    ],
    [{ name: 'x', business_impact: '7' }, 'business_impact', 'business_impact: "7" is not a business impact'],
    [
      { name: 'x', exposure: 'public' },
      'exposure',
      'exposure: "public" is not one of internet, internal, isolated',
    ],
    [
      { name: 'x', time_zone: 'Europe/Berln' },
      'time_zone',
      '"Europe/Berln" is not an IANA time zone; did you mean "Europe/Berlin"?',
    ],
    [{ name: 'x', fqdn: 'web01' }, 'fqdn', '"web01" is not a fully qualified domain name'],
    [{ name: 'x', hostname: 'web 01' }, 'hostname', '"web 01" is not a valid host name'],
    [{ name: 'x', os: 'Red Hat Enterprise' }, 'os', 'is not an os-release ID'],
    [{ name: 'x', os_version: '12' }, 'os_version', 'an OS version needs an os'],
    [{ kind: 'server', location: 'DC1' }, 'name', 'a record needs a name, hostname, fqdn, ip or mac'],
    [{ name: 'x', enviroment: 'prod' }, 'enviroment', 'unknown field; did you mean "environment"?'],
    [{ name: 'x', ip: '10.0.0.1', ips: '10.0.0.2' }, 'ips', 'given twice (also as "ip")'],
  ])('refuses %j naming the field %s', (values, field, message) => {
    const error = rejection({ file: 'assets.csv', line: 7, values, columns: { kind: 2, ips: 5 } });
    expect(error.code).toBe('PW_ERR_INVALID_RECORD');
    expect(error.message).toContain(message);
    expect(error.details).toMatchObject({ file: 'assets.csv', line: 7, field });
  });

  it('an edit need not carry an identity', () => {
    expect(assetFactsFromRecord({ values: { ownerTeam: 'ops' } }, { requireIdentity: false })).toEqual({
      ownerTeam: 'ops',
    });
  });
});

describe('validateAssetRecords', () => {
  it('reports every bad record with its own line and keeps the good ones', () => {
    const { rows, errors } = validateAssetRecords([
      { file: 'f.csv', line: 2, values: { name: 'a' } },
      { file: 'f.csv', line: 3, values: { name: 'b', kind: 'toaster' } },
      { file: 'f.csv', line: 4, values: { name: 'c', business_impact: '0' } },
    ]);
    expect(rows.map((r) => r.facts.name)).toEqual(['a']);
    expect(errors.map((e) => e.details['line'])).toEqual([3, 4]);
  });
});

describe('columns and time zones', () => {
  it('resolves header spellings', () => {
    expect(
      ['IP Address', 'ownerTeam', 'TZ', 'mac', 'Business-Impact', 'type'].map(resolveAssetColumn),
    ).toEqual(['ips', 'owner_team', 'time_zone', 'macs', 'business_impact', 'kind']);
  });

  it('accepts IANA zones the runtime formats in, including names ICU does not list as canonical', () => {
    expect(
      ['Europe/Berlin', 'UTC', 'Asia/Kolkata', 'America/Argentina/Buenos_Aires'].every(validTimeZone),
    ).toBe(true);
    expect(['CEST', 'Mars/Olympus', 'Europe/Berlin; DROP', ''].some(validTimeZone)).toBe(false);
  });
});
