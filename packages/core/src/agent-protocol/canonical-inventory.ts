import { z } from 'zod';
import { pwError } from '../errors/errors.ts';
import type { InstalledPackage, OsRelease, PackageManager } from '../inventory/installed-package.ts';
import { INVENTORY_CANONICAL_HEADER } from './agent-protocol.ts';

/**
 * Reading an inventory sent as its canonical text (`AgentInventoryRequest.inventory`, the very
 * text `canonicalInventoryText` builds and whose SHA-256 is the inventory hash). The server then
 * hashes the bytes it received instead of rebuilding the text, and a line it has seen before (in
 * a fleet nearly every line was) needs no parsing at all: see the server's inventory-line cache.
 *
 * The text must be exactly canonical: its header, the OS line, then package lines in code-unit
 * order, each line the `JSON.stringify` of its array. Anything else is refused with the number of
 * the offending line (1-based, the header being line 1), so two texts for one inventory cannot
 * both be accepted under different hashes.
 */

const text = (max: number) => z.string().max(max);
const optionalText = (max: number) => text(max).nullable();

/** `[id, versionId, versionCodename, name, prettyName, idLike]`, with the API's limits. */
const osLineSchema = z.tuple([
  text(100).min(1),
  optionalText(100),
  optionalText(100),
  optionalText(200),
  optionalText(300),
  z.array(text(100)).max(20),
]);

/**
 * `[packageManager, kind, ecosystem, name, version, arch, sourceName, sourceVersion, purl, file]`,
 * with the limits of the API's InstalledPackage schema.
 */
const packageLineSchema = z.tuple([
  text(32).min(1),
  z.enum(['os', 'language']),
  optionalText(256),
  text(512).min(1),
  text(512).min(1),
  optionalText(64),
  optionalText(512),
  optionalText(512),
  optionalText(2048),
  optionalText(4096),
]);

export interface CanonicalInventory {
  os: OsRelease;
  /** The package lines as sent (line N of the text is `packageLines[N - 3]`). */
  packageLines: string[];
}

/** The first line holding a package: header and OS come first. */
export const FIRST_PACKAGE_LINE = 3;

function invalid(line: number, problem: string, extra: Record<string, unknown> = {}) {
  return pwError('PW_ERR_INVALID_RECORD', `inventory line ${line}: ${problem}`, {
    field: 'inventory',
    line,
    ...extra,
  });
}

function parseJsonLine(line: string, lineNumber: number): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch (error) {
    throw invalid(lineNumber, `not JSON (${(error as Error).message})`);
  }
}

function schemaProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `element ${issue.path.join('.') || '(whole line)'}: ${issue.message}` : error.message;
}

/** The canonical encoding of what was parsed must be the line itself: one inventory, one text. */
function requireCanonical(line: string, parsed: unknown, lineNumber: number): void {
  if (JSON.stringify(parsed) !== line) {
    throw invalid(
      lineNumber,
      "not in canonical form (JSON.stringify of its array, no spaces or escapes beyond JSON's)",
    );
  }
}

/**
 * Splits and checks the text's frame: header, OS line, and package lines in canonical order.
 * Package lines themselves are checked by `packageOfCanonicalLine`, which callers may skip for a
 * line they already parsed once (same text, same package).
 */
export function splitCanonicalInventory(inventory: string): CanonicalInventory {
  return canonicalInventoryOfLines(inventory.split('\n'));
}

/** `splitCanonicalInventory` of a text already split at its newlines. */
export function canonicalInventoryOfLines(lines: readonly string[]): CanonicalInventory {
  if (lines[0] !== INVENTORY_CANONICAL_HEADER) {
    throw invalid(1, `the header must be ${JSON.stringify(INVENTORY_CANONICAL_HEADER)}`);
  }
  if (lines.length < 2) throw invalid(2, 'the OS line is missing');
  const osLine = lines[1]!;
  const osParsed = parseJsonLine(osLine, 2);
  const osResult = osLineSchema.safeParse(osParsed);
  if (!osResult.success) throw invalid(2, schemaProblem(osResult.error));
  requireCanonical(osLine, osParsed, 2);
  const [id, versionId, versionCodename, name, prettyName, idLike] = osResult.data;
  const os: OsRelease = { id, idLike };
  if (versionId !== null) os.versionId = versionId;
  if (versionCodename !== null) os.versionCodename = versionCodename;
  if (name !== null) os.name = name;
  if (prettyName !== null) os.prettyName = prettyName;
  const packageLines = lines.slice(2);
  for (let i = 1; i < packageLines.length; i++) {
    // Equal lines are allowed: canonicalInventoryText keeps a package listed twice.
    if (packageLines[i - 1]! > packageLines[i]!) {
      throw invalid(i + FIRST_PACKAGE_LINE, 'package lines must be sorted by UTF-16 code units');
    }
  }
  if (packageLines.length === 1 && packageLines[0] === '') {
    // `canonicalInventoryText` of no packages ends after the OS line; a trailing newline is not canonical.
    throw invalid(FIRST_PACKAGE_LINE, 'an empty line (the text has no trailing newline)');
  }
  return { os, packageLines };
}

/** One package line, parsed and checked (`lineNumber` is its number in the whole text, for errors). */
export function packageOfCanonicalLine(line: string, lineNumber: number): InstalledPackage {
  const parsed = parseJsonLine(line, lineNumber);
  const result = packageLineSchema.safeParse(parsed);
  if (!result.success) throw invalid(lineNumber, schemaProblem(result.error));
  requireCanonical(line, parsed, lineNumber);
  const [packageManager, kind, ecosystem, name, version, arch, sourceName, sourceVersion, purl, file] =
    result.data;
  const pkg: InstalledPackage = { name, version, kind, packageManager: packageManager as PackageManager };
  if (ecosystem !== null) pkg.ecosystem = ecosystem;
  if (arch !== null) pkg.arch = arch;
  if (sourceName !== null) pkg.sourceName = sourceName;
  if (sourceVersion !== null) pkg.sourceVersion = sourceVersion;
  if (purl !== null) pkg.purl = purl;
  if (file !== null) pkg.location = { file };
  return pkg;
}
