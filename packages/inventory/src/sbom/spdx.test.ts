import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePath, sharedDataPath } from '../../../../test-support/shared-data.ts';
import { parseSpdxJson } from './spdx.ts';

function parseFixture(relative: string) {
  const path = fixturePath(`inventory/sbom/${relative}`);
  return parseSpdxJson(readFileSync(path, 'utf8'), path);
}

describe('parseSpdxJson', () => {
  it('reads Trivy’s mixed image SBOM (2.2): OS and language packages, the OS, no described image', () => {
    const fragment = parseFixture('trivy__happy-bom.spdx.json');
    expect(fragment.os).toEqual({ id: 'alpine', versionId: '3.16.0', idLike: [] });
    expect(fragment.packages.map((p) => [p.ecosystem, p.name, p.version])).toEqual([
      ['Packagist', 'pear/log', '1.13.1'],
      ['Maven', 'org.codehaus.mojo:child-project', '1.0'],
      ['Packagist', 'pear/pear_exception', 'v1.0.0'],
      ['npm', 'bootstrap', '5.0.2'],
      ['Go', 'github.com/package-url/packageurl-go', 'v0.1.1-0.20220203205134-d70459300c8a'],
      ['Alpine:v3.16', 'musl', '1.2.3-r0'],
    ]);
    expect(fragment.packages.at(-1)).toMatchObject({
      kind: 'os',
      packageManager: 'apk',
      sourceName: 'musl',
      sourceVersion: '1.2.3-r0',
    });
    // The four application packages (jar, node-pkg, gobinary, composer) group files and carry no purl.
    expect(fragment.warnings).toHaveLength(4);
    expect(fragment.warnings.every((w) => w.endsWith('has no purl external reference, skipped'))).toBe(true);
  });

  it('reads Trivy’s CentOS 7 SBOM and reports its own version disagreement', () => {
    const fragment = parseFixture('trivy__centos-7-spdx.json');
    expect(fragment.os).toMatchObject({ id: 'centos', versionId: '7.6.1810' });
    expect(fragment.packages).toMatchObject([
      { name: 'bash', version: '4.2.46-31.el7', arch: 'x86_64', sourceName: 'bash', packageManager: 'rpm' },
      { name: 'openssl-libs', version: '1:1.0.2k-16.el7', arch: 'x86_64' },
    ]);
    // CentOS has no OSV ecosystem, so none is set.
    expect(fragment.packages.every((p) => p.ecosystem === undefined)).toBe(true);
    expect(fragment.warnings).toEqual([
      expect.stringContaining('openssl-libs@1:1.0.2k-19.el7: pkg:rpm/centos/openssl-libs@1.0.2k-16.el7'),
    ]);
  });

  it('reads Syft’s Alpine 3.10 SBOM with upstream qualifiers and lines', () => {
    const path = fixturePath('inventory/sbom/syft__alpine-3.10.syft.spdx.json');
    const text = readFileSync(path, 'utf8');
    const fragment = parseSpdxJson(text, path);
    expect(fragment.packages).toMatchObject([
      { name: 'busybox', version: '1.30.1-r5', ecosystem: 'Alpine:v3.10', arch: 'x86_64' },
      { name: 'libssl1.1', version: '1.1.1k-r0', ecosystem: 'Alpine:v3.10' },
      { name: 'ssl_client', version: '1.30.1-r5', sourceName: 'busybox' },
    ]);
    const lines = text.split('\n');
    for (const pkg of fragment.packages) expect(lines[(pkg.location?.line ?? 0) - 1]).toContain('"SPDXID"');
  });

  it('rejects JSON that is not SPDX', () => {
    expect(() => parseSpdxJson('{"bomFormat": "CycloneDX"}', 'x.json')).toThrow(
      expect.objectContaining({
        code: 'PW_ERR_INVALID_RECORD',
        details: { file: 'x.json', field: 'spdxVersion' },
      }),
    );
  });

  const shared = [
    ['sbomqs__photon-tern.spdx.json', 0, 37],
    ['spdxexamples__example11__sbom.spdx.json', 3, 0],
    ['trivy__bitnami-elasticsearch.spdx.json', 4, 1],
    ['defectdojo__spdx_many_vuln.json', 4, 0],
  ] as const;
  for (const [name, packages, warnings] of shared) {
    const path = sharedDataPath(`sbom/${name}`);
    it.skipIf(!path)(`reads ${name}: ${packages} packages, ${warnings} warnings`, () => {
      const fragment = parseSpdxJson(readFileSync(path!, 'utf8'), path!);
      console.info(
        `[spdx] ${name}: ${fragment.packages.length} packages, ${fragment.warnings.length} warnings`,
      );
      expect(fragment.packages).toHaveLength(packages);
      expect(fragment.warnings).toHaveLength(warnings);
    });
  }
});

describe('SBOM subject', () => {
  it('keeps what an SPDX document describes as its subject, not as a package', async () => {
    const { readFileSync } = await import('node:fs');
    const { fixturePath } = await import('../../../../test-support/shared-data.ts');
    const { readdirSync } = await import('node:fs');
    const dir = fixturePath('inventory/sbom');
    const subjects = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => parseSpdxJson(readFileSync(`${dir}/${f}`, 'utf8'), f))
      .filter((fragment) => fragment.subject !== undefined);
    expect(subjects.length).toBeGreaterThan(0);
    for (const fragment of subjects) {
      expect(
        fragment.packages.some(
          (p) => p.name === fragment.subject!.name && p.version === fragment.subject!.version,
        ),
      ).toBe(false);
    }
  });
});
