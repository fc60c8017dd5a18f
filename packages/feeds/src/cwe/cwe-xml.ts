/**
 * MITRE's `Weakness_Catalog` XML (cwec_vX.Y.xml, ~15 MB), read with saxes as it streams.
 * Only `Weaknesses/Weakness` are entries (Categories and Views are groupings, not weaknesses);
 * parents are the `ChildOf` relations in the Research Concepts view (View_ID 1000).
 */
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { SaxesParser } from 'saxes';
import type { CweEntry } from '@patchwarden/core';
import { unique } from '../intel-common/cve-parts.ts';

export type XmlEntry = { entry: CweEntry; line: number } | { error: string; line: number; record?: string };

interface Open {
  line: number;
  id: string | undefined;
  name: string | undefined;
  abstraction: string | undefined;
  description: string | undefined;
  parents: string[];
}

export const RESEARCH_VIEW = '1000';

function finish(open: Open): XmlEntry {
  if (!open.id || !/^\d+$/.test(open.id)) {
    return { error: `Weakness without a numeric ID attribute: ${JSON.stringify(open.id)}`, line: open.line };
  }
  const id = `CWE-${open.id}`;
  if (!open.name) return { error: `${id}: Weakness without a Name attribute`, line: open.line, record: id };
  const entry: CweEntry = { id, name: open.name, parents: unique(open.parents) };
  if (open.abstraction) entry.abstraction = open.abstraction;
  const description = open.description?.replace(/\s+/g, ' ').trim();
  if (description) entry.description = description;
  return { entry, line: open.line };
}

/** Throws (saxes' Error, with line and column in its message) on XML that is not well-formed. */
export async function* cweXmlEntries(stream: Readable, file: string): AsyncGenerator<XmlEntry> {
  const parser = new SaxesParser({ fileName: file });
  const ready: XmlEntry[] = [];
  const path: string[] = [];
  let open: Open | undefined;
  let inDescription = false;
  parser.on('opentag', (tag) => {
    const parent = path[path.length - 1];
    path.push(tag.name);
    const attribute = (name: string): string | undefined => {
      const value = tag.attributes[name];
      return typeof value === 'string' ? value.trim() : undefined;
    };
    if (tag.name === 'Weakness' && parent === 'Weaknesses') {
      open = {
        line: parser.line,
        id: attribute('ID'),
        name: attribute('Name'),
        abstraction: attribute('Abstraction'),
        description: undefined,
        parents: [],
      };
    } else if (open && tag.name === 'Description' && parent === 'Weakness') {
      inDescription = true;
      open.description = '';
    } else if (open && tag.name === 'Related_Weakness' && parent === 'Related_Weaknesses') {
      const cweId = attribute('CWE_ID');
      if (
        attribute('Nature') === 'ChildOf' &&
        attribute('View_ID') === RESEARCH_VIEW &&
        cweId &&
        /^\d+$/.test(cweId)
      ) {
        open.parents.push(`CWE-${cweId}`);
      }
    }
  });
  parser.on('text', (text) => {
    if (inDescription && open) open.description += text;
  });
  parser.on('closetag', (tag) => {
    path.pop();
    if (tag.name === 'Description') inDescription = false;
    if (tag.name === 'Weakness' && open && path[path.length - 1] === 'Weaknesses') {
      ready.push(finish(open));
      open = undefined;
    }
  });
  const decoder = new StringDecoder('utf8');
  try {
    for await (const chunk of stream) {
      parser.write(typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer));
      yield* ready.splice(0);
    }
    parser.write(decoder.end());
    parser.close();
    yield* ready.splice(0);
  } finally {
    stream.destroy();
  }
}
