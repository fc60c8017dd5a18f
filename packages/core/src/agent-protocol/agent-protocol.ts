import type { InstalledPackage, OsRelease } from '../inventory/installed-package.ts';

/**
 * The host agent's wire protocol, shared by `@patchwarden/agent` and the server so that both
 * compile against one definition. JSON over HTTPS under `/agent/v1`; a breaking change gets a
 * new prefix (and a new AGENT_PROTOCOL_VERSION), never a silent change of these shapes.
 *
 * Statuses the agent acts on (bodies of non-2xx answers are `AgentErrorBody`):
 * - 400: the request does not follow this protocol (a bug: the agent logs it and backs off);
 * - 401: the credential (or, on enrol, the enrolment secret) is rejected: re-enrol;
 * - 403: the credential is valid but the agent acts for another host (wrong `agentId`);
 * - 429 and 5xx: back off exponentially (honouring `Retry-After`), keep the inventory queued.
 */
export const AGENT_PROTOCOL_VERSION = 1;

export const AGENT_API_PREFIX = '/agent/v1';

export const AGENT_PROTOCOL_PATHS = {
  /** POST, no credential: AgentEnrolRequest -> 201 AgentEnrolResponse. */
  enrol: `${AGENT_API_PREFIX}/enrol`,
  /** POST, `Authorization: Bearer <credential>`: AgentCheckinRequest -> 200 AgentCheckinResponse. */
  checkin: `${AGENT_API_PREFIX}/checkin`,
  /**
   * PUT, `Authorization: Bearer <credential>`: AgentInventoryRequest as JSON, or as
   * INVENTORY_TEXT_MEDIA_TYPE (`inventoryTextBody`) -> 200 AgentInventoryResponse.
   */
  inventory: `${AGENT_API_PREFIX}/inventory`,
} as const;

/**
 * The inventory upload's compact form: line 1 the AgentInventoryEnvelope as JSON, then the
 * canonical inventory text itself, unescaped. The server hashes and splits the text as its bytes
 * arrive, without first building (and JSON-unescaping) one string of the whole upload: at a few
 * hundred kilobytes such a string lands in V8's large-object space, about a millisecond per
 * upload on a 2-core VM (bench:checkin profiles).
 */
export const INVENTORY_TEXT_MEDIA_TYPE = 'application/vnd.patchwarden.inventory';

/** The body of an upload in INVENTORY_TEXT_MEDIA_TYPE (JSON.stringify never writes a raw newline). */
export function inventoryTextBody(envelope: AgentInventoryEnvelope, canonicalText: string): string {
  const { agentId, inventoryHash, facts, collectedAt } = envelope;
  return `${JSON.stringify({ agentId, inventoryHash, facts, collectedAt })}\n${canonicalText}`;
}

/** What the agent knows about its host; sent on enrol, with every check-in and every inventory. */
export interface AgentFacts {
  hostname: string;
  fqdn?: string;
  /** Non-loopback, non-link-local addresses, IPv4 and IPv6, sorted. */
  ips: string[];
  /** MAC addresses of the non-loopback interfaces, lower-case, sorted. */
  macs: string[];
  /** From /etc/os-release (os-release(5)'s default `ID=linux` when the file is missing). */
  os: OsRelease;
  /** `uname -r`. */
  kernel: string;
  uptimeSeconds: number;
  /** /var/run/reboot-required (Debian, Ubuntu) or `needs-restarting -r` (RPM distros). */
  rebootRequired: boolean;
  /** `uname -m` (x86_64, aarch64...). */
  architecture: string;
  agentVersion: string;
}

/** One collection of a host: its facts and everything installed on it. */
export interface HostReport {
  facts: AgentFacts;
  os: OsRelease;
  /** As parsed by @patchwarden/inventory: OS packages without `ecosystem` (the server derives it from `os`). */
  packages: InstalledPackage[];
  /** RFC 3339 instant of the collection. */
  collectedAt: string;
}

export interface AgentEnrolRequest {
  enrolmentSecret: string;
  hostname: string;
  facts: AgentFacts;
}

export interface AgentEnrolResponse {
  agentId: string;
  assetId: string;
  /** Bearer credential for every later request; the agent keeps it in a 0600 file. */
  credential: string;
  checkinIntervalSeconds: number;
}

export interface AgentCheckinRequest {
  agentId: string;
  /** `inventoryHash()` of the host's current inventory; the server compares it with the last one it accepted. */
  inventoryHash: string;
  facts: AgentFacts;
  uptimeSeconds: number;
  rebootRequired: boolean;
  agentVersion: string;
}

export interface AgentCheckinResponse {
  /** True when the server does not hold the inventory with this hash: the agent uploads it. */
  needInventory: boolean;
  checkinIntervalSeconds: number;
}

/**
 * An inventory upload. The packages travel either as objects (`os` + `packages`, as collected) or
 * as the inventory's canonical text (`inventory`: exactly `canonicalInventoryText(os, packages)`).
 * The text is what the agent sends: it is a third smaller, the server hashes it as received, and
 * a line the server has seen on another host needs no parsing (see canonical-inventory.ts).
 */
export type AgentInventoryRequest = AgentInventoryEnvelope &
  ({ os: OsRelease; packages: InstalledPackage[] } | { inventory: string });

export interface AgentInventoryEnvelope {
  agentId: string;
  inventoryHash: string;
  facts: AgentFacts;
  /** RFC 3339 instant of the collection. */
  collectedAt: string;
}

export interface AgentInventoryResponse {
  accepted: true;
  packages: number;
}

/** The body of every non-2xx answer, as the API's errors: a stable `PW_ERR_*` code. */
export interface AgentErrorBody {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

/** Marks the canonical text's layout; a change of layout changes every hash, so it is versioned. */
export const INVENTORY_CANONICAL_HEADER = 'patchwarden-inventory/1';

/**
 * The text whose SHA-256 is an inventory's hash (`sha256:<hex>` of its UTF-8 bytes), so that the
 * agent and the server compute the same content address. Independent of collection order
 * (package lines are sorted by UTF-16 code units, never by locale) and of where a package was
 * read in its file (`location.line` moves whenever a dpkg status is rewritten; `location.file`
 * stays, since it says which lockfile a package came from).
 */
export function canonicalInventoryText(os: OsRelease, packages: readonly InstalledPackage[]): string {
  const osLine = JSON.stringify([
    os.id,
    os.versionId ?? null,
    os.versionCodename ?? null,
    os.name ?? null,
    os.prettyName ?? null,
    os.idLike,
  ]);
  const packageLines = packages.map(canonicalPackageLine);
  packageLines.sort(compareCodeUnits);
  return [INVENTORY_CANONICAL_HEADER, osLine, ...packageLines].join('\n');
}

/** One package's line of the canonical text (the text sorts these lines). */
export function canonicalPackageLine(p: InstalledPackage): string {
  return JSON.stringify([
    p.packageManager,
    p.kind,
    p.ecosystem ?? null,
    p.name,
    p.version,
    p.arch ?? null,
    p.sourceName ?? null,
    p.sourceVersion ?? null,
    p.purl ?? null,
    p.location?.file ?? null,
  ]);
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
