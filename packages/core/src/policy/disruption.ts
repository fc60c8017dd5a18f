/**
 * How much deploying a patch disturbs the fleet, so that the queue can rank patches by risk
 * removed per unit of disruption. A deliberately simple, explainable estimate:
 *
 *   disruption = Σ over the assets patched of  perAsset × (production ? productionMultiplier : 1)
 *                × (rebootLikely ? rebootMultiplier : 1)
 *
 * - Every asset touched costs something (a package transaction, a change record, a check).
 * - Production assets cost more: a failed update there hurts users, so it needs more care.
 * - Some packages usually need a reboot or a restart of nearly every service: the kernel and
 *   its firmware and microcode, the C library, systemd, D-Bus, the boot chain, and OpenSSL-class
 *   libraries that every long-running daemon keeps loaded until it restarts.
 */
import type { Asset } from '../assets/asset.ts';
import { globRegExp } from '../assets/asset-filter.ts';

export interface DisruptionModel {
  perAsset: number;
  rebootMultiplier: number;
  productionMultiplier: number;
  productionEnvironments: readonly string[];
  rebootPackages: readonly string[];
}

export const DEFAULT_REBOOT_PACKAGES: readonly string[] = Object.freeze([
  'kernel',
  'kernel-*',
  'linux',
  'linux-image-*',
  'linux-signed*',
  'linux-firmware',
  '*microcode*',
  'glibc',
  'glibc-*',
  'libc6',
  'libc-bin',
  'eglibc',
  'musl',
  'systemd',
  'systemd-*',
  'dbus',
  'dbus-*',
  'openssl',
  'openssl-libs',
  'openssl3',
  'libssl*',
  'gnutls',
  'nss',
  'shim',
  'shim-*',
  'grub2',
  'grub2-*',
  'grub-*',
]);

export const DEFAULT_DISRUPTION: DisruptionModel = Object.freeze({
  perAsset: 1,
  rebootMultiplier: 3,
  productionMultiplier: 2,
  productionEnvironments: Object.freeze(['production', 'prod']),
  rebootPackages: DEFAULT_REBOOT_PACKAGES,
});

export interface DisruptionEstimate {
  score: number;
  assets: number;
  productionAssets: number;
  rebootLikely: boolean;
  /** The pattern that made a reboot likely. */
  rebootPattern?: string;
  explanation: string;
}

/** The reboot pattern a package (or any of its binary packages) matches, if any. */
export function rebootPatternFor(
  packageNames: readonly string[],
  model: DisruptionModel = DEFAULT_DISRUPTION,
): string | undefined {
  for (const pattern of model.rebootPackages) {
    const regex = globRegExp(pattern);
    if (packageNames.some((name) => regex.test(name.toLowerCase()))) return pattern;
  }
  return undefined;
}

export function isProduction(asset: Pick<Asset, 'environment'>, model: DisruptionModel): boolean {
  const environment = asset.environment?.toLowerCase();
  return (
    environment !== undefined && model.productionEnvironments.some((e) => e.toLowerCase() === environment)
  );
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

export function estimateDisruption(
  packageNames: readonly string[],
  assets: readonly Pick<Asset, 'environment'>[],
  model: DisruptionModel = DEFAULT_DISRUPTION,
): DisruptionEstimate {
  const rebootPattern = rebootPatternFor(packageNames, model);
  const reboot = rebootPattern === undefined ? 1 : model.rebootMultiplier;
  const productionAssets = assets.filter((asset) => isProduction(asset, model)).length;
  const others = assets.length - productionAssets;
  const score = round((productionAssets * model.productionMultiplier + others) * model.perAsset * reboot);
  const rebootText =
    rebootPattern === undefined
      ? 'no reboot expected'
      : `reboot likely (${packageNames[0] ?? ''} matches ${rebootPattern}): x${model.rebootMultiplier}`;
  return {
    score,
    assets: assets.length,
    productionAssets,
    rebootLikely: rebootPattern !== undefined,
    ...(rebootPattern === undefined ? {} : { rebootPattern }),
    explanation:
      `${assets.length} asset(s) x ${model.perAsset}, ${productionAssets} in production x${model.productionMultiplier}; ` +
      `${rebootText}: disruption ${score}`,
  };
}
