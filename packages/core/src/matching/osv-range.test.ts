import { describe, expect, it } from 'vitest';
import type { AffectedPackage } from '../intel/advisory.ts';
import { schemeById } from '../versions/registry.ts';
import { compileAffected, evaluateAffected } from './osv-range.ts';

const semver = schemeById('semver');

function affected(partial: Partial<AffectedPackage>): AffectedPackage {
  return { ecosystem: 'npm', name: 'x', ranges: [], versions: [], ...partial };
}

function check(pkg: AffectedPackage, version: string) {
  const scheme = schemeById(pkg.ecosystem === 'npm' ? 'semver' : pkg.ecosystem === 'Go' ? 'go' : 'dpkg');
  return evaluateAffected(compileAffected(pkg, scheme, semver), version);
}

describe('OSV range evaluation', () => {
  const twoRanges = affected({
    // The shape of GHSA-xvch-5gv4-984h (minimist): two ranges in one record.
    ranges: [
      { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '0.2.4' }] },
      { type: 'ECOSYSTEM', events: [{ introduced: '1.0.0' }, { fixed: '1.2.6' }] },
    ],
  });

  it('matches inside either interval and reports the fix of that interval', () => {
    expect(check(twoRanges, '0.0.8')).toMatchObject({ fixed: '0.2.4', range: '>=0, <0.2.4' });
    expect(check(twoRanges, '1.2.5')).toMatchObject({ fixed: '1.2.6', introduced: '1.0.0' });
  });

  it('does not match fixed versions or the gap between intervals', () => {
    expect(check(twoRanges, '0.2.4')).toBeUndefined();
    expect(check(twoRanges, '0.9.0')).toBeUndefined();
    expect(check(twoRanges, '1.2.6')).toBeUndefined();
    expect(check(twoRanges, '2.0.0')).toBeUndefined();
  });

  it('treats last_affected as inclusive', () => {
    const pkg = affected({
      ranges: [{ type: 'SEMVER', events: [{ introduced: '1.0.0' }, { last_affected: '1.4.0' }] }],
    });
    expect(check(pkg, '1.4.0')).toMatchObject({ lastAffected: '1.4.0', range: '>=1.0.0, <=1.4.0' });
    expect(check(pkg, '1.4.1')).toBeUndefined();
    expect(check(pkg, '0.9.9')).toBeUndefined();
  });

  it('sorts events that a feed wrote out of order', () => {
    const pkg = affected({
      ranges: [
        {
          type: 'ECOSYSTEM',
          events: [{ fixed: '2.0.0' }, { introduced: '1.5.0' }, { introduced: '0' }, { fixed: '1.0.0' }],
        },
      ],
    });
    expect(check(pkg, '0.5.0')).toMatchObject({ fixed: '1.0.0' });
    expect(check(pkg, '1.2.0')).toBeUndefined();
    expect(check(pkg, '1.7.0')).toMatchObject({ fixed: '2.0.0' });
  });

  it('respects limit events', () => {
    const pkg = affected({
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { limit: '3.0.0' }] }],
    });
    expect(check(pkg, '2.9.9')).toBeDefined();
    expect(check(pkg, '3.0.0')).toBeUndefined();
  });

  it('matches explicit versions lists, with ecosystem equality', () => {
    const pkg = affected({ versions: ['1.0.0', '1.0.1'] });
    expect(check(pkg, '1.0.1')).toMatchObject({ rangeType: 'VERSIONS' });
    expect(check(pkg, '1.0.2')).toBeUndefined();
  });

  it('ignores GIT ranges (commits are not versions)', () => {
    const pkg = affected({
      ranges: [
        { type: 'GIT', repo: 'https://example.org/x', events: [{ introduced: '0' }, { fixed: 'deadbeef' }] },
      ],
    });
    expect(check(pkg, '1.0.0')).toBeUndefined();
  });

  it('compares distro backports with dpkg order', () => {
    const pkg = affected({
      ecosystem: 'Ubuntu:20.04:LTS',
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.1.1f-1ubuntu2.20' }] }],
    });
    expect(check(pkg, '1.1.1f-1ubuntu2.3')).toMatchObject({ fixed: '1.1.1f-1ubuntu2.20' });
    expect(check(pkg, '1.1.1f-1ubuntu2.20')).toBeUndefined();
    expect(check(pkg, '1.1.1f-1ubuntu2.20+esm1')).toBeUndefined();
  });

  it('rejects an event with two keys and an invalid version', () => {
    const scheme = schemeById('semver');
    const twoKeys = affected({
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0', fixed: '1.0.0' } as never] }],
    });
    expect(() => compileAffected(twoKeys, scheme, semver)).toThrow(/exactly one key/);
    const bad = affected({
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: 'not a version' }] }],
    });
    expect(() => compileAffected(bad, scheme, semver)).toThrow(/Invalid semver version/);
  });
});
