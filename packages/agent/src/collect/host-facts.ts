import { arch, hostname, machine, networkInterfaces, release, uptime } from 'node:os';
import type { AgentFacts, OsRelease } from '@patchwarden/core';
import { AGENT_VERSION } from '../version.ts';
import type { CollectOptions } from './collect-options.ts';
import { detectRebootRequired } from './reboot-required.ts';
import { runCommand } from './run-command.ts';

export interface FactsResult {
  facts: AgentFacts;
  warnings: string[];
}

export async function collectFacts(options: CollectOptions, os: OsRelease): Promise<FactsResult> {
  const name = hostname();
  const reboot = await detectRebootRequired(options);
  const { ips, macs } = interfaceAddresses();
  const facts: AgentFacts = {
    hostname: name,
    ips,
    macs,
    os,
    kernel: release(),
    uptimeSeconds: Math.floor(uptime()),
    rebootRequired: reboot.rebootRequired,
    // `uname -m` spelling (x86_64, aarch64), which is what package architectures use; os.arch() says x64.
    architecture: machineName(),
    agentVersion: AGENT_VERSION,
  };
  const fqdn = await fullyQualifiedName(options, name);
  if (fqdn) facts.fqdn = fqdn;
  return { facts, warnings: reboot.warnings };
}

/**
 * Addresses that identify the host on a network: loopback is not, and neither is link-local
 * (fe80::/10, 169.254/16), which every interface has and which only means something on its link.
 */
export function interfaceAddresses(): { ips: string[]; macs: string[] } {
  const ips = new Set<string>();
  const macs = new Set<string>();
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.internal) continue;
      if (entry.mac && entry.mac !== '00:00:00:00:00:00') macs.add(entry.mac.toLowerCase());
      if (!isLinkLocal(entry.address, entry.family)) ips.add(entry.address);
    }
  }
  return { ips: [...ips].sort(), macs: [...macs].sort() };
}

function isLinkLocal(address: string, family: string | number): boolean {
  if (family === 'IPv4' || family === 4) return address.startsWith('169.254.');
  return /^fe[89ab]/i.test(address);
}

function machineName(): string {
  try {
    return machine();
  } catch {
    return arch();
  }
}

/** `hostname -f` asks the resolver; a name with a dot is taken, anything else is not an FQDN. */
async function fullyQualifiedName(options: CollectOptions, name: string): Promise<string | undefined> {
  if (options.hostnameCommand !== undefined) {
    const result = await runCommand(
      [...options.hostnameCommand, '-f'],
      Math.min(options.commandTimeoutMs, 5_000),
    );
    const answer = result?.exitCode === 0 ? result.stdout.trim() : '';
    if (answer.includes('.') && !/\s/.test(answer)) return answer;
  }
  return name.includes('.') ? name : undefined;
}
