/**
 * An asset in the inventory (CMDB): anything that runs software we must keep patched. Hosts
 * reported by agents, devices imported from CSV, images and applications described by SBOMs.
 * Pure data: the store persists it, the API serves it, policies and rollouts select it.
 */
export type AssetKind =
  | 'server'
  | 'workstation'
  | 'network-device'
  | 'security-appliance'
  | 'iot-device'
  | 'handheld'
  | 'container-image'
  | 'application';

export const ASSET_KINDS: readonly AssetKind[] = Object.freeze([
  'server',
  'workstation',
  'network-device',
  'security-appliance',
  'iot-device',
  'handheld',
  'container-image',
  'application',
]);

/** How reachable an asset is; internet-facing assets are patched first. */
export type Exposure = 'internet' | 'internal' | 'isolated';
export const EXPOSURES: readonly Exposure[] = Object.freeze(['internet', 'internal', 'isolated']);

export type DataSensitivity = 'public' | 'internal' | 'confidential' | 'restricted';
export const DATA_SENSITIVITIES: readonly DataSensitivity[] = Object.freeze([
  'public',
  'internal',
  'confidential',
  'restricted',
]);

/** Business impact of losing the asset, 1 (negligible) to 5 (critical to the business). */
export type BusinessImpact = 1 | 2 | 3 | 4 | 5;

/** What reported an asset: several sources may report one asset (merged by a recorded rule). */
export type AssetSource = 'agent' | 'sbom' | 'scanner' | 'csv' | 'json' | 'manual';

/**
 * Patch cadence classes (schedules are set per class): OS, server applications, anti-malware,
 * VPN clients and security tooling are patched monthly by default; appliances, hypervisors and
 * management tooling quarterly; firmware, drivers and management apps half-yearly.
 */
export type AssetClass =
  | 'os'
  | 'server-app'
  | 'anti-malware'
  | 'vpn-client'
  | 'security-tooling'
  | 'appliance'
  | 'hypervisor'
  | 'management-tooling'
  | 'firmware'
  | 'driver'
  | 'management-app';

export interface AssetOs {
  /** os-release `ID`: ubuntu, debian, almalinux, rhel, alpine, windows, ios, junos... */
  id: string;
  versionId?: string;
  name?: string;
  /** The advisory ecosystem its OS packages are matched in (`Ubuntu:22.04:LTS`). */
  ecosystem?: string;
}

export interface Asset {
  /** Stable id (a UUID from the store). */
  id: string;
  name: string;
  kind: AssetKind;
  hostname?: string;
  fqdn?: string;
  ips: string[];
  macs: string[];
  os?: AssetOs;
  kernel?: string;
  /** test, pilot, production, staging, development... (free text, lower-case). */
  environment?: string;
  businessImpact?: BusinessImpact;
  exposure?: Exposure;
  dataSensitivity?: DataSensitivity;
  ownerTeam?: string;
  services: string[];
  location?: string;
  /** IANA time zone the asset's maintenance windows are computed in. */
  timeZone?: string;
  tags: string[];
  assetClasses: AssetClass[];
  sources: AssetSource[];
  /** RFC 3339 instants. `lastSeen` comes from the last accepted report, not from a connection. */
  firstSeen?: string;
  lastSeen?: string;
  /** When the installed-software inventory was last received; absent = state unknown. */
  inventoryAt?: string;
  rebootRequired?: boolean;
}
