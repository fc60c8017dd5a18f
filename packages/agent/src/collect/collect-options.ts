/**
 * Where collection looks. Every path and command can be replaced (or switched off with
 * `undefined`) so that tests, containers with the host mounted elsewhere, and unusual distros
 * can point the agent at the right files.
 */
export interface CollectOptions {
  /** The first that exists is read (os-release(5): /etc first, then /usr/lib). */
  osReleasePaths: readonly string[];
  dpkgStatusPath: string | undefined;
  apkInstalledPath: string | undefined;
  /**
   * Commands are argv prefixes (`['rpm', '--dbpath', dir]`), so a database elsewhere can be read.
   * rpm runs as `rpm -qa --qf ...`, skipped when not installed or when its database is empty.
   */
  rpmCommand: readonly string[] | undefined;
  rebootRequiredPath: string | undefined;
  /** yum-utils / dnf-utils `needs-restarting -r`: exit 1 means a reboot is needed. */
  needsRestartingCommand: readonly string[] | undefined;
  /** `hostname -f` gives the FQDN as the resolver sees it. */
  hostnameCommand: readonly string[] | undefined;
  /** Lockfiles directly, or directories walked down to `lockfileMaxDepth`. */
  lockfilePaths: readonly string[];
  lockfileMaxDepth: number;
  commandTimeoutMs: number;
}

export const DEFAULT_COLLECT_OPTIONS: Readonly<CollectOptions> = Object.freeze({
  osReleasePaths: ['/etc/os-release', '/usr/lib/os-release'],
  dpkgStatusPath: '/var/lib/dpkg/status',
  apkInstalledPath: '/lib/apk/db/installed',
  rpmCommand: ['rpm'],
  rebootRequiredPath: '/var/run/reboot-required',
  needsRestartingCommand: ['needs-restarting'],
  hostnameCommand: ['hostname'],
  lockfilePaths: [],
  lockfileMaxDepth: 6,
  commandTimeoutMs: 60_000,
});

export function collectOptions(overrides: Partial<CollectOptions> = {}): CollectOptions {
  return { ...DEFAULT_COLLECT_OPTIONS, ...overrides };
}
