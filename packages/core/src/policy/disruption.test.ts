import { describe, expect, it } from 'vitest';
import { DEFAULT_DISRUPTION, estimateDisruption, rebootPatternFor } from './disruption.ts';

describe('estimateDisruption', () => {
  it('counts assets, weighs production double and a likely reboot triple', () => {
    const fleet = [{ environment: 'production' }, { environment: 'Prod' }, { environment: 'test' }, {}];
    expect(estimateDisruption(['curl'], fleet)).toMatchObject({
      score: 6,
      assets: 4,
      productionAssets: 2,
      rebootLikely: false,
    });
    const kernel = estimateDisruption(['kernel', 'kernel-core'], fleet);
    expect(kernel).toMatchObject({ score: 18, rebootLikely: true, rebootPattern: 'kernel' });
    expect(kernel.explanation).toBe(
      '4 asset(s) x 1, 2 in production x2; reboot likely (kernel matches kernel): x3: disruption 18',
    );
  });

  it('knows the reboot-class packages of the main distributions', () => {
    for (const names of [
      ['glibc'],
      ['libc6'],
      ['systemd-libs'],
      ['openssl-libs'],
      ['libssl3'],
      ['linux-image-5.15.0-69-generic'],
      ['intel-microcode'],
      ['dbus-broker'],
      ['shim-x64'],
    ]) {
      expect(rebootPatternFor(names), names[0]).toBeDefined();
    }
    for (const names of [['curl'], ['bash'], ['python3-openssl-extra'], ['lodash']]) {
      expect(rebootPatternFor(names), names[0]).toBeUndefined();
    }
  });

  it('follows a policy model', () => {
    const model = { ...DEFAULT_DISRUPTION, perAsset: 2, productionMultiplier: 5, rebootPackages: ['nginx'] };
    expect(estimateDisruption(['nginx'], [{ environment: 'production' }], model).score).toBe(30);
    expect(estimateDisruption(['kernel'], [{ environment: 'production' }], model).score).toBe(10);
  });
});
