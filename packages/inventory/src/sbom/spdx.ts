import { pwError } from '@patchwarden/core';
import type { InventoryFragment, OsRelease } from '@patchwarden/core';
import { jsonValueLines } from '../internal/json-value-lines.ts';
import { PackageSet } from '../internal/package-set.ts';
import { parseJson } from '../internal/parse-json.ts';
import { arrayField, isRecord, stringField, stripBom } from '../internal/records.ts';
import type { JsonRecord } from '../internal/records.ts';
import { packageFromPurl } from './purl-package.ts';

/**
 * SPDX 2.2 / 2.3 JSON. A package with a `purl` external reference becomes an installed package
 * (the purl's version, else `versionInfo`); a package without one is reported in `warnings`.
 * The packages the document DESCRIBES (the image or application itself) are not installed
 * packages: the first becomes the fragment's `subject`. Operating-system packages become its `os`.
 * Trivy's `sourceInfo: "built package from: <name> <version>"` gives OS packages their source.
 */
export function parseSpdxJson(text: string, file: string): InventoryFragment {
  const doc = parseJson('spdx-json', file, text);
  if (!isRecord(doc) || typeof doc['spdxVersion'] !== 'string') {
    throw pwError('PW_ERR_INVALID_RECORD', `${file}: not an SPDX JSON document (no "spdxVersion")`, {
      file,
      field: 'spdxVersion',
    });
  }
  const lines = jsonValueLines(stripBom(text), 'SPDXID');
  const described = describedIds(doc);
  const packages = arrayField(doc, 'packages').filter(isRecord);
  const os = packages
    .filter(isOperatingSystem)
    .map(osOf)
    .find((o) => o !== undefined);
  const warnings: string[] = [];
  const found = new PackageSet();
  for (const pkg of packages) {
    const id = stringField(pkg, 'SPDXID');
    if ((id && described.has(id)) || isOperatingSystem(pkg)) continue;
    const line = id === undefined ? undefined : lines.get(id);
    const name = stringField(pkg, 'name') ?? id ?? '(unnamed)';
    const version = stringField(pkg, 'versionInfo');
    const where = `${line === undefined ? '' : `line ${line}: `}package ${version ? `${name}@${version}` : name}`;
    const purl = purlOf(pkg);
    if (!purl) {
      warnings.push(`${where} has no purl external reference, skipped`);
      continue;
    }
    const source = builtFrom(stringField(pkg, 'sourceInfo'));
    const hints = { file, line, version, sourceName: source?.name, sourceVersion: source?.version, os };
    const installed = packageFromPurl(purl, hints, (message) => warnings.push(`${where}: ${message}`));
    if (installed) found.add(installed);
  }
  const fragment: InventoryFragment = { format: 'spdx-json', file, packages: found.toArray(), warnings };
  if (os) fragment.os = os;
  const subject = packages.find((p) => described.has(stringField(p, 'SPDXID') ?? ''));
  const subjectName = subject ? stringField(subject, 'name') : undefined;
  if (subject && subjectName) {
    fragment.subject = { name: subjectName };
    const version = stringField(subject, 'versionInfo');
    if (version) fragment.subject.version = version;
    const purl = purlOf(subject);
    if (purl) fragment.subject.purl = purl;
    const purpose = stringField(subject, 'primaryPackagePurpose');
    if (purpose) fragment.subject.type = purpose.toLowerCase();
  }
  return fragment;
}

function purlOf(pkg: JsonRecord): string | undefined {
  for (const ref of arrayField(pkg, 'externalRefs')) {
    if (isRecord(ref) && ref['referenceType'] === 'purl') {
      const locator = stringField(ref, 'referenceLocator');
      if (locator) return locator;
    }
  }
  return undefined;
}

/** `documentDescribes` (2.2) and `SPDXRef-DOCUMENT DESCRIBES x` relationships (2.3). */
function describedIds(doc: JsonRecord): Set<string> {
  const ids = new Set<string>();
  for (const id of arrayField(doc, 'documentDescribes')) if (typeof id === 'string') ids.add(id);
  const documentId = stringField(doc, 'SPDXID') ?? 'SPDXRef-DOCUMENT';
  for (const rel of arrayField(doc, 'relationships')) {
    if (!isRecord(rel) || rel['spdxElementId'] !== documentId) continue;
    const related = stringField(rel, 'relatedSpdxElement');
    if (rel['relationshipType'] === 'DESCRIBES' && related) ids.add(related);
  }
  return ids;
}

/** SPDX 2.3 has a purpose; Trivy's 2.2 output marks the OS by its SPDXID. */
function isOperatingSystem(pkg: JsonRecord): boolean {
  return (
    pkg['primaryPackagePurpose'] === 'OPERATING-SYSTEM' ||
    (stringField(pkg, 'SPDXID') ?? '').startsWith('SPDXRef-OperatingSystem-')
  );
}

function osOf(pkg: JsonRecord): OsRelease | undefined {
  const name = stringField(pkg, 'name');
  if (!name) return undefined;
  const os: OsRelease = { id: name.toLowerCase(), idLike: [] };
  const version = stringField(pkg, 'versionInfo');
  if (version) os.versionId = version;
  return os;
}

function builtFrom(sourceInfo: string | undefined): { name: string; version: string } | undefined {
  const match = /^built package from:\s*(\S+)\s+(\S+)\s*$/.exec(sourceInfo ?? '');
  return match?.[1] && match[2] ? { name: match[1], version: match[2] } : undefined;
}
