/**
 * The real tools' own version comparison, used as oracles by end-to-end tests: dpkg's
 * `--compare-versions` and rpm's `rpm.vercmp` (Debian's rpm package).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Whether `a < b` per `dpkg --compare-versions`, for each pair (two dpkg runs at a time). */
export function dpkgLessThan(pairs: readonly (readonly [string, string])[]): boolean[] {
  if (pairs.length === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), 'pw-dpkg-'));
  const input = join(dir, 'pairs');
  writeFileSync(input, pairs.map(([a, b], i) => `${i}\t${a}\t${b}`).join('\n') + '\n');
  const script = `while IFS=$'\\t' read -r i a b; do if dpkg --compare-versions "$a" lt "$b"; then echo "$i 1"; else echo "$i 0"; fi; done`;
  const out = execFileSync(
    'bash',
    ['-c', `split -n l/2 -d ${input} ${input}. && for f in ${input}.0*; do (${script}) < "$f" & done; wait`],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const result = new Array<boolean>(pairs.length);
  for (const line of out.trim().split('\n')) {
    const [i, bit] = line.split(' ');
    result[Number(i)] = bit === '1';
  }
  return result;
}

export function rpmAvailable(): boolean {
  return spawnSync('rpm', ['--version']).status === 0;
}

/** `rpm.vercmp(a, b)` (-1, 0, 1) for each pair, in one rpm process. */
export function rpmVercmp(pairs: readonly (readonly [string, string])[]): number[] {
  if (pairs.length === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), 'pw-rpm-'));
  const lua = join(dir, 'pairs.lua');
  const quote = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  writeFileSync(
    lua,
    `local pairs_ = {\n${pairs.map(([a, b]) => `{${quote(a)},${quote(b)}}`).join(',\n')}\n}\n` +
      `local out = {}\nfor i, p in ipairs(pairs_) do out[#out + 1] = tostring(rpm.vercmp(p[1], p[2])) end\n` +
      `print(table.concat(out, "\\n"))\n`,
  );
  const out = execFileSync('rpm', ['--eval', `%{lua: dofile("${lua}")}`], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return out
    .trim()
    .split('\n')
    .map((line) => Number(line));
}
