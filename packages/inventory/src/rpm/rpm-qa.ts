import type { InstalledPackage, InventoryFragment } from '@patchwarden/core';
import { splitLines, stripBom } from '../internal/records.ts';

/**
 * Output of
 * `rpm -qa --qf '%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\n'`.
 *
 * Versions are written as rpm orders them, `[epoch:]version-release`, with epoch 0 left out:
 * rpm treats a missing epoch as 0, and advisories (AlmaLinux, Rocky, Red Hat OSV) write
 * `1.0.9-1.el9` rather than `0:1.0.9-1.el9`, so both spellings must compare and print the same.
 *
 * The source package comes from the SOURCERPM file name (`openssl-3.0.1-43.el9_0.src.rpm`),
 * which has no epoch. The source epoch is taken from a binary built from that SRPM whose
 * version-release equals the SRPM's: subpackages such as `perl-IO-Zlib-1:1.10` (from
 * `perl-5.26.3`) carry their own epoch and version, so theirs cannot be used.
 */
export function parseRpmQa(text: string, file: string): InventoryFragment {
  const rows: Row[] = [];
  const warnings: string[] = [];
  const lines = splitLines(stripBom(text));
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '') continue;
    const row = parseRow(line, i + 1);
    if (typeof row === 'string') warnings.push(`line ${i + 1}: ${row}`);
    else rows.push(row);
  }
  const sourceEpochs = sourceEpochsBySrpm(rows);
  const packages = rows.map((row): InstalledPackage => {
    const pkg: InstalledPackage = {
      name: row.name,
      version: evr(row.epoch, row.versionRelease),
      kind: 'os',
      packageManager: 'rpm',
      location: { file, line: row.line },
    };
    if (row.arch) pkg.arch = row.arch;
    if (row.source) {
      pkg.sourceName = row.source.name;
      pkg.sourceVersion = evr(sourceEpochs.get(row.source.file), row.source.versionRelease);
    }
    return pkg;
  });
  return { format: 'rpm-qa', file, packages, warnings };
}

interface SourceRpm {
  file: string;
  name: string;
  versionRelease: string;
}

interface Row {
  line: number;
  name: string;
  epoch: string | undefined;
  versionRelease: string;
  arch: string | undefined;
  source: SourceRpm | undefined;
}

function parseRow(line: string, lineNumber: number): Row | string {
  const fields = line.split('\t').map((f) => f.trim());
  const [name = '', evrField = '', archField, sourceField] = fields;
  if (fields.length < 2) return `not a tab-separated rpm -qa line: "${clip(line)}"`;
  if (!/^[^\s/]+$/.test(name)) return `invalid package name "${clip(name)}"`;
  const parsed = /^(?:(\d+|\(none\)):)?([^\s:-]+-[^\s:-]+)$/.exec(evrField);
  if (!parsed || parsed[2] === undefined) return `${name}: invalid epoch:version-release "${clip(evrField)}"`;
  const epoch =
    parsed[1] === undefined || parsed[1] === '(none)' ? undefined : parsed[1].replace(/^0+(?=\d)/, '');
  const arch = archField && archField !== '(none)' ? archField : undefined;
  let source: SourceRpm | undefined;
  if (sourceField && sourceField !== '(none)') {
    source = parseSourceRpm(sourceField);
    if (!source) return `${name}: unreadable SOURCERPM "${clip(sourceField)}"`;
  }
  return { line: lineNumber, name, epoch, versionRelease: parsed[2], arch, source };
}

/** `openssl-3.0.1-43.el9_0.src.rpm` -> openssl, 3.0.1-43.el9_0 (also `.nosrc.rpm`). */
export function parseSourceRpm(fileName: string): SourceRpm | undefined {
  const match = /^(.+)-([^-\s]+)-([^-\s]+)\.(?:no)?src\.rpm$/.exec(fileName);
  if (!match || !match[1] || !match[2] || !match[3]) return undefined;
  return { file: fileName, name: match[1], versionRelease: `${match[2]}-${match[3]}` };
}

function sourceEpochsBySrpm(rows: readonly Row[]): Map<string, string | undefined> {
  const epochs = new Map<string, string | undefined>();
  for (const row of rows) {
    if (row.source && row.versionRelease === row.source.versionRelease && !epochs.has(row.source.file)) {
      epochs.set(row.source.file, row.epoch);
    }
  }
  return epochs;
}

function evr(epoch: string | undefined, versionRelease: string): string {
  return epoch === undefined || epoch === '0' ? versionRelease : `${epoch}:${versionRelease}`;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
