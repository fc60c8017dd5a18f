import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostReport } from '@patchwarden/core';
import { writePrivateFileAtomic } from './private-file.ts';

export interface OutboxEntry {
  inventoryHash: string;
  report: HostReport;
  queuedAt: string;
}

/**
 * The inventory the server has not accepted yet, on disk so that a restart or a long outage
 * loses nothing. One slot: only the newest inventory matters, a newer one replaces it, and
 * heartbeats are never queued (the next check-in says the same and more).
 */
export class InventoryOutbox {
  readonly dir: string;
  readonly path: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'outbox');
    this.path = join(this.dir, 'inventory.json');
  }

  /** A damaged entry is dropped (the next collection queues a fresh one) and reported. */
  async get(onDamaged?: (why: string) => void): Promise<OutboxEntry | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (cause) {
      if ((cause as { code?: unknown }).code === 'ENOENT') return undefined;
      throw cause;
    }
    try {
      const entry = JSON.parse(text) as Partial<OutboxEntry>;
      if (
        typeof entry.inventoryHash === 'string' &&
        typeof entry.queuedAt === 'string' &&
        isReport(entry.report)
      )
        return entry as OutboxEntry;
      onDamaged?.(`${this.path}: not an outbox entry; dropped`);
    } catch {
      onDamaged?.(`${this.path}: not JSON; dropped`);
    }
    await rm(this.path, { force: true });
    return undefined;
  }

  async put(entry: OutboxEntry): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writePrivateFileAtomic(this.path, JSON.stringify(entry));
  }

  /** Removes the entry if it still holds `inventoryHash` (a newer one queued meanwhile stays). */
  async remove(inventoryHash?: string): Promise<void> {
    if (inventoryHash !== undefined) {
      const current = await this.get();
      if (current && current.inventoryHash !== inventoryHash) return;
    }
    await rm(this.path, { force: true });
  }
}

function isReport(value: unknown): value is HostReport {
  if (typeof value !== 'object' || value === null) return false;
  const report = value as Partial<HostReport>;
  return (
    typeof report.facts === 'object' &&
    typeof report.os === 'object' &&
    Array.isArray(report.packages) &&
    typeof report.collectedAt === 'string'
  );
}
