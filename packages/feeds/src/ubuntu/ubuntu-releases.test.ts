import { describe, expect, it } from 'vitest';
import { ubuntuRelease } from './ubuntu-releases.ts';

describe('ubuntuRelease', () => {
  it.each([
    ['trusty', 'Ubuntu:14.04:LTS'],
    ['xenial', 'Ubuntu:16.04:LTS'],
    ['bionic', 'Ubuntu:18.04:LTS'],
    ['focal', 'Ubuntu:20.04:LTS'],
    ['jammy', 'Ubuntu:22.04:LTS'],
    ['noble', 'Ubuntu:24.04:LTS'],
    ['eoan', 'Ubuntu:19.10'],
    ['groovy', 'Ubuntu:20.10'],
    ['dapper', 'Ubuntu:6.06:LTS'],
    ['trusty/esm', 'Ubuntu:Pro:14.04:LTS'],
    ['precise/esm', 'Ubuntu:Pro:12.04:LTS'],
    ['esm-infra/xenial', 'Ubuntu:Pro:16.04:LTS'],
    ['esm-apps/focal', 'Ubuntu:Pro:20.04:LTS'],
    ['esm-infra-legacy/trusty', 'Ubuntu:Pro:14.04:LTS'],
  ])('%s -> %s', (name, ecosystem) => {
    expect(ubuntuRelease(name)).toEqual({ kind: 'release', ecosystem });
  });

  it.each(['upstream', 'devel', 'product', 'vivid/ubuntu-core', 'vivid/stable-phone-overlay', 'fips/bionic'])(
    'skips the pseudo-release %s',
    (name) => {
      expect(ubuntuRelease(name)).toEqual({ kind: 'skip' });
    },
  );

  it.each(['narnia', 'esm/narnia', 'a/b/c', ''])('does not know %j', (name) => {
    expect(ubuntuRelease(name)).toEqual({ kind: 'unknown' });
  });
});
