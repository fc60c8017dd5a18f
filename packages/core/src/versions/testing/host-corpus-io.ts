/**
 * Builds the `CorpusIo` that the corpora read through from a handful of host primitives, so that
 * each test or benchmark passes in Node's file functions (about ten lines) while where the files
 * are and how apt lists are unpacked is decided once, here. Test and benchmark support only.
 */
import type { CorpusIo } from './os-corpora.ts';

export interface HostIo {
  /** Bytes of a file, undefined when it does not exist. */
  readFile(path: string): Uint8Array | undefined;
  /** Entry names of a directory, [] when it does not exist. */
  listDir(path: string): string[];
  gunzip(bytes: Uint8Array): Uint8Array;
  /** Standard output of a command that succeeded, undefined when it failed or is missing. */
  run(command: string, args: readonly string[]): Uint8Array | undefined;
  /** The shared data folder, undefined when absent. */
  readonly sharedRoot: string | undefined;
  readonly fixturesRoot: string;
  /** apt's list directory; /var/lib/apt/lists unless given. */
  readonly aptListsDir?: string;
}

const APT_LISTS = '/var/lib/apt/lists';
const PACKAGES_LIST = /_Packages(\.(lz4|gz|xz|zst|bz2))?$/;

export function hostCorpusIo(host: HostIo): CorpusIo {
  const decoder = new TextDecoder();
  const text = (bytes: Uint8Array | undefined): string | undefined =>
    bytes === undefined ? undefined : decoder.decode(bytes);
  const sharedFile = (relative: string): Uint8Array | undefined =>
    host.sharedRoot === undefined ? undefined : host.readFile(`${host.sharedRoot}/${relative}`);

  const unpack = (path: string): Uint8Array | undefined => {
    if (path.endsWith('_Packages')) return host.readFile(path);
    if (path.endsWith('.gz')) {
      const bytes = host.readFile(path);
      return bytes === undefined ? undefined : host.gunzip(bytes);
    }
    // apt's own helper opens every compression apt writes; lz4 covers Debian's default if it is absent.
    return (
      host.run('/usr/lib/apt/apt-helper', ['cat-file', path]) ??
      (path.endsWith('.lz4') ? host.run('lz4', ['-dc', path]) : undefined)
    );
  };

  return {
    shared: (relative) => text(sharedFile(relative)),
    sharedGunzipped: (relative) => {
      const bytes = sharedFile(relative);
      return bytes === undefined ? undefined : host.gunzip(bytes);
    },
    fixture: (relative) => text(host.readFile(`${host.fixturesRoot}/${relative}`)),
    aptPackageLists: () => {
      const dir = host.aptListsDir ?? APT_LISTS;
      const lists: { name: string; text: string }[] = [];
      for (const name of host.listDir(dir).sort()) {
        if (!PACKAGES_LIST.test(name)) continue;
        const listText = text(unpack(`${dir}/${name}`));
        if (listText !== undefined) lists.push({ name, text: listText });
      }
      return lists;
    },
  };
}
