import type { InventoryFormat } from '@patchwarden/core';
import { stripBom } from './internal/records.ts';

/** How much of a file detection looks at; every signature sits near the top. */
export const DETECTION_HEAD_CHARS = 64 * 1024;

interface Rule {
  format: InventoryFormat;
  matches: (head: string) => boolean;
  /** File names that make this format the favourite when the content alone is not decisive. */
  names: RegExp;
}

const RPM_QA_LINE = /^[^\s\t]+\t(?:\d+:|\(none\):)?[^\s\t:-]+-[^\s\t:-]+(?:\t[^\t]*){0,2}$/;

/** In priority order: the more specific signatures first. */
const RULES: readonly Rule[] = [
  {
    format: 'cyclonedx-json',
    matches: (h) => isJson(h) && /"bomFormat"\s*:\s*"CycloneDX"/.test(h),
    names: /(?:\.cdx\.json|bom\.json)$/i,
  },
  { format: 'spdx-json', matches: (h) => isJson(h) && /"spdxVersion"\s*:/.test(h), names: /\.spdx\.json$/i },
  {
    format: 'vuls-scan',
    matches: (h) =>
      isJson(h) && (/"scannedCves"\s*:/.test(h) || (/"serverName"\s*:/.test(h) && /"family"\s*:/.test(h))),
    names: /^$/,
  },
  {
    format: 'npm-package-lock',
    matches: (h) => isJson(h) && /"lockfileVersion"\s*:\s*\d/.test(h),
    names: /(?:^|[/\\])(?:package-lock|npm-shrinkwrap)(?:\.[\w-]+)*\.json$/i,
  },
  {
    format: 'cyclonedx-xml',
    matches: (h) =>
      /^\s*</.test(h) &&
      /<(?:\w+:)?bom\b[^>]*xmlns(?::\w+)?\s*=\s*["']http:\/\/cyclonedx\.org\/schema\/bom/.test(h),
    names: /(?:\.cdx\.xml|bom\.xml)$/i,
  },
  {
    format: 'yarn-lock',
    matches: (h) => /^# yarn lockfile v1\s*$/m.test(h) || /^__metadata:\s*$/m.test(h),
    names: /(?:^|[/\\])yarn(?:\.[\w-]+)*\.lock$/i,
  },
  {
    format: 'pnpm-lock',
    matches: (h) => /^lockfileVersion:\s*['"]?\d/m.test(h),
    names: /(?:^|[/\\])pnpm-lock(?:\.[\w-]+)*\.ya?ml$/i,
  },
  {
    format: 'dpkg-status',
    matches: (h) => /^Package:\s*\S/m.test(h) && /^Status:\s*\S/m.test(h),
    names: /(?:^|[/\\])(?:dpkg[/\\])?status(?:[.-][\w-]+)*$/i,
  },
  {
    format: 'apk-installed',
    matches: (h) => /^P:\S/m.test(h) && /^V:\S/m.test(h),
    names: /(?:^|[/\\])installed(?:[.-][\w-]+)*$/i,
  },
  {
    format: 'rpm-qa',
    matches: (h) => {
      const first = h.split(/\r?\n/).find((line) => line.trim() !== '');
      return first !== undefined && RPM_QA_LINE.test(first);
    },
    names: /rpm[-_.]?qa/i,
  },
  {
    format: 'os-release',
    matches: (h) =>
      /^ID=\S/m.test(h) && firstLines(h, 3).every((line) => /^\s*(?:[A-Za-z_]\w*=|#)/.test(line)),
    names: /(?:^|[/\\])os-release$/i,
  },
];

/**
 * Which inventory format `head` (the start of `file`) is in, from its content; the file name only
 * breaks ties between formats whose signatures all match, or names the format of a file that is
 * empty or holds only `#` comments.
 * Undefined when neither says.
 */
export function detectInventoryFormat(file: string, head: string): InventoryFormat | undefined {
  const text = stripBom(head).slice(0, DETECTION_HEAD_CHARS);
  const byContent = RULES.filter((rule) => rule.matches(text));
  if (byContent.length === 1) return byContent[0]?.format;
  if (byContent.length > 1) return (byContent.find((rule) => rule.names.test(file)) ?? byContent[0])?.format;
  // A lockfile with nothing locked yet may hold only its header comment.
  if (text.split(/\r?\n/).some((line) => line.trim() !== '' && !line.trimStart().startsWith('#')))
    return undefined;
  return RULES.find((rule) => rule.names.test(file))?.format;
}

function isJson(head: string): boolean {
  return /^\s*[{[]/.test(head);
}

function firstLines(text: string, count: number): string[] {
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .slice(0, count);
}
