import { createHash } from 'node:crypto';
import type { AgentInventoryRequest, HostReport, InstalledPackage, OsRelease } from '@patchwarden/core';
import { canonicalInventoryText } from '@patchwarden/core';

/**
 * The content address of an inventory, `sha256:<hex>` of the core's canonical text: the same on
 * the agent and the server, and unchanged by collection order or line numbers, so an unchanged
 * host sends a heartbeat and never its full package list.
 */
export function inventoryHash(os: OsRelease, packages: readonly InstalledPackage[]): string {
  return `sha256:${createHash('sha256').update(canonicalInventoryText(os, packages), 'utf8').digest('hex')}`;
}

/**
 * The upload of a report queued under `hash`: its packages as the canonical text (the protocol's
 * compact form: a third smaller than objects, and the server hashes it as received).
 */
export function inventoryUpload(agentId: string, hash: string, report: HostReport): AgentInventoryRequest {
  const inventory = canonicalInventoryText(report.os, report.packages);
  return { agentId, inventoryHash: hash, facts: report.facts, collectedAt: report.collectedAt, inventory };
}
