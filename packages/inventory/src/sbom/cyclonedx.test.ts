import { readFileSync } from 'node:fs';
import { PatchwardenError } from '@patchwarden/core';
import { describe, expect, it } from 'vitest';
import { fixturePath, sharedDataPath } from '../../../../test-support/shared-data.ts';
import { goldenPackages } from '../../test/trivy-golden.ts';
import { parseCycloneDxJson, parseCycloneDxXml } from './cyclonedx.ts';

function readFixture(relative: string): [string, string] {
  const path = fixturePath(relative);
  return [readFileSync(path, 'utf8'), path];
}

describe('parseCycloneDxJson', () => {
  it('reads Trivy’s npm BOM: library components, not the grouping component or the described project', () => {
    const [text, path] = readFixture('inventory/trivy-integration/expected/npm-cyclonedx.json.golden');
    const fragment = parseCycloneDxJson(text, path);
    const golden = goldenPackages(fixturePath('inventory/trivy-integration/expected/npm.json.golden'));
    expect(fragment.packages.map((p) => `${p.name}@${p.version}`).sort()).toEqual(
      golden.map((g) => `${g.name}@${g.version}`).sort(),
    );
    expect(
      fragment.packages.every((p) => p.ecosystem === 'npm' && p.purl === `pkg:npm/${p.name}@${p.version}`),
    ).toBe(true);
    expect(fragment.warnings).toEqual([
      expect.stringMatching(/component package-lock\.json has no purl, skipped$/),
    ]);
    expect(fragment.host).toBeUndefined();
    const lines = text.split('\n');
    for (const pkg of fragment.packages)
      expect(lines[(pkg.location?.line ?? 0) - 1]).toContain(`"bom-ref": "${pkg.purl}"`);
  });

  it('reads a Grype BOM for a Maven artefact (DefectDojo’s log4j.json)', () => {
    const [text, path] = readFixture('inventory/cyclonedx/defectdojo__log4j.json');
    expect(parseCycloneDxJson(text, path).packages).toEqual([
      {
        ecosystem: 'Maven',
        name: 'org.apache.logging.log4j:log4j-core',
        version: '2.13.2',
        purl: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.13.2',
        kind: 'language',
        packageManager: 'maven',
        location: { file: path, line: 22 },
      },
    ]);
  });

  it('takes the OS from an operating-system component, nested components, and Trivy’s source properties', () => {
    const bom = {
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      metadata: { component: { type: 'container', name: 'app:1.0', purl: 'pkg:oci/app@sha256%3Aabc' } },
      components: [
        { type: 'operating-system', name: 'debian', version: '12.5' },
        {
          type: 'library',
          name: 'bsdutils',
          version: '1:2.38.1-5+deb12u1',
          purl: 'pkg:deb/debian/bsdutils@2.38.1-5%2Bdeb12u1?arch=amd64&epoch=1',
          properties: [
            { name: 'aquasecurity:trivy:SrcName', value: 'util-linux' },
            { name: 'aquasecurity:trivy:SrcVersion', value: '2.38.1' },
            { name: 'aquasecurity:trivy:SrcRelease', value: '5+deb12u1' },
          ],
        },
        {
          type: 'application',
          name: 'app',
          components: [
            { type: 'library', name: 'express', version: '4.18.2', purl: 'pkg:npm/express@4.18.2' },
          ],
        },
      ],
    };
    const fragment = parseCycloneDxJson(JSON.stringify(bom, null, 2), 'bom.json');
    expect(fragment.os).toEqual({ id: 'debian', versionId: '12.5', idLike: [] });
    expect(fragment.packages).toMatchObject([
      {
        name: 'bsdutils',
        version: '1:2.38.1-5+deb12u1',
        ecosystem: 'Debian:12',
        sourceName: 'util-linux',
        sourceVersion: '2.38.1-5+deb12u1',
        kind: 'os',
      },
      { name: 'express', version: '4.18.2', ecosystem: 'npm' },
    ]);
    expect(fragment.packages.map((p) => p.name)).not.toContain('app:1.0');
    expect(fragment.warnings).toEqual(['component app has no purl, skipped']);
  });

  it('rejects JSON that is not a BOM and reports malformed JSON with its line', () => {
    expect(() => parseCycloneDxJson('{"spdxVersion": "SPDX-2.3"}', 'x.json')).toThrow(
      expect.objectContaining({ code: 'PW_ERR_INVALID_RECORD' }),
    );
    let thrown: unknown;
    try {
      parseCycloneDxJson('{\n "bomFormat": "CycloneDX",\n "components": [\n  {"name": }\n ]\n}', 'bom.json');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PatchwardenError);
    expect((thrown as PatchwardenError).toJSON()).toMatchObject({
      code: 'PW_ERR_PARSE',
      details: { file: 'bom.json', line: 4 },
    });
  });

  const trivyUbuntu = sharedDataPath('scanner-reports/defectdojo/cyclonedx/issue_9277.json');
  it.skipIf(!trivyUbuntu)(
    'reads Trivy’s Ubuntu 22.04 image BOM (DefectDojo issue 9277): 101 deb packages',
    () => {
      const fragment = parseCycloneDxJson(readFileSync(trivyUbuntu!, 'utf8'), trivyUbuntu!);
      console.info(
        `[cyclonedx] issue_9277.json: ${fragment.packages.length} packages, os ${JSON.stringify(fragment.os)}`,
      );
      expect(fragment.packages).toHaveLength(101);
      expect(fragment.warnings).toEqual([]);
      expect(fragment.os).toMatchObject({ id: 'ubuntu', versionId: '22.04' });
      expect(new Set(fragment.packages.map((p) => p.ecosystem))).toEqual(new Set(['Ubuntu:22.04:LTS']));
      const bsdutils = fragment.packages.find((p) => p.name === 'bsdutils');
      expect(bsdutils).toMatchObject({
        version: '1:2.37.2-4ubuntu3',
        sourceName: 'util-linux',
        sourceVersion: '2.37.2-4ubuntu3',
      });
    },
  );
});

describe('parseCycloneDxXml', () => {
  it('reads a CycloneDX 1.0 XML BOM of Python packages (DefectDojo’s cyclonedx_bom.xml)', () => {
    const [text, path] = readFixture('inventory/cyclonedx/defectdojo__cyclonedx_bom.xml');
    const fragment = parseCycloneDxXml(text, path);
    const purls = text.match(/<purl>[^<]+<\/purl>/g) ?? [];
    expect(fragment.packages).toHaveLength(purls.length);
    expect(fragment.packages).toHaveLength(73);
    expect(fragment.warnings).toEqual([]);
    expect(fragment.packages[0]).toEqual({
      ecosystem: 'PyPI',
      name: 'asteval',
      version: '0.9.23',
      purl: 'pkg:pypi/asteval@0.9.23',
      kind: 'language',
      packageManager: 'pypi',
      location: { file: path, line: 4 },
    });
  });

  it('reads nested components, properties and the operating system from a 1.5 BOM', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1">
  <metadata><component type="container"><name>img</name></component></metadata>
  <components>
    <component type="operating-system"><name>alpine</name><version>3.19.1</version></component>
    <component type="library" bom-ref="a">
      <name>busybox</name><version>1.36.1-r15</version>
      <purl><![CDATA[pkg:apk/alpine/busybox@1.36.1-r15?arch=x86_64]]></purl>
      <components>
        <component type="library"><name>ssl_client</name><version>1.36.1-r15</version>
          <purl>pkg:apk/alpine/ssl_client@1.36.1-r15?arch=x86_64&amp;upstream=busybox</purl>
        </component>
      </components>
    </component>
    <component type="file"><name>README</name></component>
  </components>
</bom>`;
    const fragment = parseCycloneDxXml(xml, 'bom.xml');
    expect(fragment.os).toEqual({ id: 'alpine', versionId: '3.19.1', idLike: [] });
    expect(fragment.packages).toMatchObject([
      { name: 'busybox', ecosystem: 'Alpine:v3.19', location: { line: 6 } },
      { name: 'ssl_client', ecosystem: 'Alpine:v3.19', sourceName: 'busybox', location: { line: 10 } },
    ]);
    expect(fragment.warnings).toEqual(['line 15: component README has no purl, skipped']);
  });

  it('rejects XML that is not a CycloneDX BOM, and malformed XML with its line', () => {
    expect(() =>
      parseCycloneDxXml('<project xmlns="http://maven.apache.org/POM/4.0.0"/>', 'pom.xml'),
    ).toThrow(expect.objectContaining({ code: 'PW_ERR_INVALID_RECORD' }));
    let thrown: unknown;
    try {
      parseCycloneDxXml('<bom xmlns="http://cyclonedx.org/schema/bom/1.4">\n<components>\n</bom>', 'bom.xml');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PatchwardenError);
    expect((thrown as PatchwardenError).toJSON()).toMatchObject({
      code: 'PW_ERR_PARSE',
      details: { file: 'bom.xml', line: 3 },
    });
  });

  it('does not expand entities declared in a DTD (no entity-expansion bombs)', () => {
    const bomb = `<?xml version="1.0"?>
<!DOCTYPE bom [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components><component type="library">
<name>&b;</name><purl>pkg:npm/x@1.0.0</purl></component></components></bom>`;
    expect(() => parseCycloneDxXml(bomb, 'bomb.xml')).toThrow(
      expect.objectContaining({ code: 'PW_ERR_PARSE' }),
    );
  });
});

describe('CycloneDX subject', () => {
  it('keeps metadata.component as the subject, not as an installed package', async () => {
    const { readFileSync } = await import('node:fs');
    const { fixturePath } = await import('../../../../test-support/shared-data.ts');
    const text = readFileSync(fixturePath('inventory/cyclonedx/defectdojo__log4j.json'), 'utf8');
    const fragment = parseCycloneDxJson(text, 'log4j.json');
    // DefectDojo's BOM describes a scanned directory of log4j-core 2.13.2.
    expect(fragment.subject).toEqual({
      name: './configuration/.m2/repository/org/apache/logging/log4j/log4j-core/2.13.2',
      type: 'file',
    });
    expect(fragment.packages.some((p) => p.name === fragment.subject!.name)).toBe(false);
    // A BOM without metadata.component has no subject.
    const xml = parseCycloneDxXml(
      readFileSync(fixturePath('inventory/cyclonedx/defectdojo__cyclonedx_bom.xml'), 'utf8'),
      'bom.xml',
    );
    expect(xml.subject).toBeUndefined();
  });
});
