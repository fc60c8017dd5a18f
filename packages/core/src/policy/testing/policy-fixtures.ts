/**
 * Small builders for policy tests: assets, findings and policies with only the fields a test
 * cares about spelled out. Test support only.
 */
import type { Asset } from '../../assets/asset.ts';
import type { Finding } from '../../matching/finding.ts';
import type { PolicyFinding } from '../policy-finding.ts';
import type { PolicyDocument, PolicySpec } from '../policy-schema.ts';

export function asset(id: string, extra: Partial<Asset> = {}): Asset {
  return {
    id,
    name: id,
    kind: 'server',
    ips: [],
    macs: [],
    services: [],
    tags: [],
    assetClasses: ['os'],
    sources: ['agent'],
    ...extra,
  };
}

export interface FindingOptions extends Partial<Omit<Finding, 'package'>> {
  assetId: string;
  name?: string;
  sourceName?: string;
  ecosystem?: string;
  version?: string;
  firstSeen?: string;
  status?: PolicyFinding['status'];
  advisoryId?: string;
}

export function finding(id: string, options: FindingOptions): PolicyFinding {
  const {
    assetId,
    name = 'openssl',
    sourceName,
    ecosystem = 'AlmaLinux:9',
    version = '1:3.0.1-1.el9',
    firstSeen = '2026-01-01T00:00:00Z',
    status = 'open',
    advisoryId = id,
    ...rest
  } = options;
  const fixedVersion = 'fixedVersion' in options ? options.fixedVersion : '1:3.0.7-27.el9';
  const result: PolicyFinding = {
    id,
    aliases: [],
    severity: 'high',
    cwes: [],
    evidence: [
      {
        advisoryId,
        source: 'osv',
        ecosystem,
        advisoryPackage: sourceName ?? name,
        comparedVersion: version,
        range: `>=0, <${fixedVersion ?? '(none)'}`,
        rangeType: 'ECOSYSTEM',
        ...(fixedVersion === undefined ? {} : { fixed: fixedVersion }),
      },
    ],
    ...rest,
    package: { ecosystem, name, version, ...(sourceName === undefined ? {} : { sourceName }) },
    assetId,
    firstSeen,
    status,
  };
  if (fixedVersion === undefined) delete result.fixedVersion;
  else result.fixedVersion = fixedVersion;
  return result;
}

export function policy(spec: Partial<PolicySpec> = {}, name = 'test'): PolicyDocument {
  return {
    apiVersion: 'patchwarden/v1',
    kind: 'PatchPolicy',
    metadata: { name },
    spec: { baselines: [], slas: [], windows: [], exceptions: [], emergencies: [], ...spec },
  };
}
