import { pwError } from '@patchwarden/core';
import type { InventoryFormat, InventoryFragment, InventorySubject, OsRelease } from '@patchwarden/core';
import { jsonValueLines } from '../internal/json-value-lines.ts';
import { PackageSet } from '../internal/package-set.ts';
import { parseFailure } from '../internal/parse-failure.ts';
import { parseJson } from '../internal/parse-json.ts';
import { arrayField, isRecord, stringField, stripBom } from '../internal/records.ts';
import type { JsonRecord } from '../internal/records.ts';
import { child, childrenNamed, childText, parseXmlTree } from '../internal/xml-tree.ts';
import type { XmlElement } from '../internal/xml-tree.ts';
import { packageFromPurl } from './purl-package.ts';

/** The fields of a CycloneDX component that inventory needs, from JSON or XML alike. */
interface ComponentView {
  type?: string;
  name?: string;
  version?: string;
  purl?: string;
  bomRef?: string;
  properties: Map<string, string>;
  line?: number;
}

/**
 * CycloneDX JSON (1.2 to 1.6): every component, nested ones included, with a purl becomes a
 * package; a component without one is reported in `warnings`. An `operating-system` component
 * becomes the fragment's `os`, which gives OS packages whose purl has no `distro=` their
 * ecosystem. `metadata.component` is what the BOM describes (an image, an application): it is
 * neither a package nor a host, so it becomes the fragment's `subject`.
 */
export function parseCycloneDxJson(text: string, file: string): InventoryFragment {
  const doc = parseJson('cyclonedx-json', file, text);
  if (!isRecord(doc) || (doc['bomFormat'] !== 'CycloneDX' && !Array.isArray(doc['components']))) {
    throw pwError('PW_ERR_INVALID_RECORD', `${file}: not a CycloneDX BOM (no "bomFormat": "CycloneDX")`, {
      file,
      field: 'bomFormat',
    });
  }
  const lines = jsonValueLines(stripBom(text), 'bom-ref');
  const view = (component: JsonRecord): ComponentView => jsonComponent(component, lines);
  const components = flatten(arrayField(doc, 'components').filter(isRecord), (c) =>
    arrayField(c, 'components').filter(isRecord),
  ).map(view);
  const metadata = isRecord(doc['metadata']) ? doc['metadata'] : undefined;
  const described = metadata && isRecord(metadata['component']) ? view(metadata['component']) : undefined;
  return withSubject(fragmentOf('cyclonedx-json', file, components), described);
}

/** CycloneDX XML (any `http://cyclonedx.org/schema/bom/1.x` namespace), same rules as JSON. */
export function parseCycloneDxXml(text: string, file: string): InventoryFragment {
  let root: XmlElement;
  try {
    root = parseXmlTree(stripBom(text));
  } catch (cause) {
    throw parseFailure('cyclonedx-xml', file, cause);
  }
  if (root.local !== 'bom' || !root.uri.startsWith('http://cyclonedx.org/schema/bom')) {
    throw pwError('PW_ERR_INVALID_RECORD', `${file}: the root element is not a CycloneDX <bom>`, {
      file,
      line: root.line,
      field: 'bom',
    });
  }
  const nested = (element: XmlElement): XmlElement[] =>
    childrenNamed(child(element, 'components'), 'component');
  const components = flatten(nested(root), nested).map(xmlComponent);
  const metadata = child(root, 'metadata');
  const described = metadata ? child(metadata, 'component') : undefined;
  return withSubject(
    fragmentOf('cyclonedx-xml', file, components),
    described ? xmlComponent(described) : undefined,
  );
}

function withSubject(fragment: InventoryFragment, described: ComponentView | undefined): InventoryFragment {
  if (!described?.name) return fragment;
  const subject: InventorySubject = { name: described.name };
  if (described.version) subject.version = described.version;
  if (described.purl) subject.purl = described.purl;
  if (described.type) subject.type = described.type;
  fragment.subject = subject;
  return fragment;
}

function fragmentOf(format: InventoryFormat, file: string, components: ComponentView[]): InventoryFragment {
  const warnings: string[] = [];
  const found = new PackageSet();
  const os = components.map(operatingSystem).find((o) => o !== undefined);
  for (const component of components) {
    if (component.type === 'operating-system') continue;
    const where = `${component.line === undefined ? '' : `line ${component.line}: `}component ${label(component)}`;
    if (!component.purl) {
      warnings.push(`${where} has no purl, skipped`);
      continue;
    }
    const hints = {
      file,
      line: component.line,
      version: component.version,
      ...sourceOf(component.properties),
      os,
    };
    const pkg = packageFromPurl(component.purl, hints, (message) => warnings.push(`${where}: ${message}`));
    if (pkg) found.add(pkg);
  }
  const fragment: InventoryFragment = { format, file, packages: found.toArray(), warnings };
  if (os) fragment.os = os;
  return fragment;
}

function operatingSystem(component: ComponentView): OsRelease | undefined {
  if (component.type !== 'operating-system' || !component.name) return undefined;
  const os: OsRelease = { id: component.name.toLowerCase(), idLike: [] };
  if (component.version) os.versionId = component.version;
  return os;
}

function jsonComponent(component: JsonRecord, lines: Map<string, number>): ComponentView {
  const properties = new Map<string, string>();
  for (const property of arrayField(component, 'properties')) {
    if (!isRecord(property)) continue;
    const name = stringField(property, 'name');
    const value = stringField(property, 'value');
    if (name && value && !properties.has(name)) properties.set(name, value);
  }
  const bomRef = stringField(component, 'bom-ref');
  const line = bomRef === undefined ? undefined : lines.get(bomRef);
  return {
    type: stringField(component, 'type'),
    name: stringField(component, 'name'),
    version: stringField(component, 'version'),
    purl: stringField(component, 'purl'),
    bomRef,
    properties,
    line,
  };
}

function xmlComponent(element: XmlElement): ComponentView {
  const properties = new Map<string, string>();
  for (const property of childrenNamed(child(element, 'properties'), 'property')) {
    const name = property.attributes['name'];
    const value = property.text.trim();
    if (name && value && !properties.has(name)) properties.set(name, value);
  }
  return {
    type: element.attributes['type'],
    name: childText(element, 'name'),
    version: childText(element, 'version'),
    purl: childText(element, 'purl'),
    bomRef: element.attributes['bom-ref'],
    properties,
    line: element.line,
  };
}

/** Depth-first, parents before children, with an explicit stack: BOMs from outside can be deep. */
function flatten<T>(roots: readonly T[], children: (node: T) => readonly T[]): T[] {
  const out: T[] = [];
  const stack = [...roots].reverse();
  while (stack.length > 0) {
    const node = stack.pop() as T;
    out.push(node);
    const kids = children(node);
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i] as T);
  }
  return out;
}

function label(component: ComponentView): string {
  const name = component.name ?? component.bomRef ?? '(unnamed)';
  return component.version ? `${name}@${component.version}` : name;
}

/**
 * Source-package properties scanners write on OS package components: Trivy splits the source
 * version into SrcEpoch, SrcVersion and SrcRelease; Syft writes it whole.
 */
function sourceOf(properties: Map<string, string>): { sourceName?: string; sourceVersion?: string } {
  const trivyName = properties.get('aquasecurity:trivy:SrcName');
  if (trivyName) {
    const version = properties.get('aquasecurity:trivy:SrcVersion');
    if (!version) return { sourceName: trivyName };
    const epoch = properties.get('aquasecurity:trivy:SrcEpoch');
    const release = properties.get('aquasecurity:trivy:SrcRelease');
    const epochPart = epoch && epoch !== '0' ? `${epoch}:` : '';
    return { sourceName: trivyName, sourceVersion: `${epochPart}${version}${release ? `-${release}` : ''}` };
  }
  const syftName = properties.get('syft:metadata:source');
  const syftVersion = properties.get('syft:metadata:sourceVersion');
  return {
    ...(syftName ? { sourceName: syftName } : {}),
    ...(syftVersion ? { sourceVersion: syftVersion } : {}),
  };
}
