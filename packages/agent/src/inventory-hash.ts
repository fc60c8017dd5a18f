import { createHash } from 'node:crypto';
import type { InstalledPackage, OsRelease } from '@patchwarden/core';
import { canonicalInventoryText } from '@patchwarden/core';

/**
 * The content address of an inventory, `sha256:<hex>` of the core's canonical text: the same on
 * the agent and the server, and unchanged by collection order or line numbers, so an unchanged
 * host sends a heartbeat and never its full package list.
 */
export function inventoryHash(os: OsRelease, packages: readonly InstalledPackage[]): string {
  return `sha256:${createHash('sha256').update(canonicalInventoryText(os, packages), 'utf8').digest('hex')}`;
}
