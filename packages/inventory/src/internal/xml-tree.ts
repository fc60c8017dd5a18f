import { SaxesParser } from 'saxes';
import type { SaxesTagPlain } from 'saxes';

/** A parsed XML element: local name, namespace, attributes, text and children. */
export interface XmlElement {
  local: string;
  uri: string;
  /** By local name; namespace declarations are not attributes. */
  attributes: Record<string, string>;
  text: string;
  children: XmlElement[];
  /** 1-based line of the start tag. */
  line: number;
}

/**
 * A small DOM built from saxes events, for documents that fit in memory (SBOMs). Built with an
 * explicit stack, so nesting depth is bounded only by memory. saxes does not expand external
 * entities or DTD-declared entities, which keeps XXE and entity-expansion bombs out. Throws the
 * first well-formedness error as an XmlSyntaxError carrying the line.
 *
 * Namespaces are resolved here rather than by saxes: its namespace mode costs time proportional
 * to the nesting depth for every element, which hostile input turns quadratic. Each prefix keeps
 * a stack of bindings instead, pushed and popped with the elements that declare them.
 */
export function parseXmlTree(text: string): XmlElement {
  const parser = new SaxesParser({ xmlns: false, position: true });
  const stack: Array<{ element: XmlElement; declared: string[] }> = [];
  const bindings = new Map<string, string[]>([['xml', ['http://www.w3.org/XML/1998/namespace']]]);
  let root: XmlElement | undefined;
  parser.on('error', (error) => {
    throw new XmlSyntaxError(error.message, parser.line);
  });
  parser.on('opentag', (tag: SaxesTagPlain) => {
    const declared: string[] = [];
    const attributes: Record<string, string> = {};
    for (const [name, value] of Object.entries(tag.attributes)) {
      if (name === 'xmlns' || name.startsWith('xmlns:')) {
        const prefix = name === 'xmlns' ? '' : name.slice('xmlns:'.length);
        const uris = bindings.get(prefix) ?? [];
        uris.push(value);
        bindings.set(prefix, uris);
        declared.push(prefix);
      } else attributes[localName(name)] = value;
    }
    const colon = tag.name.indexOf(':');
    const prefix = colon === -1 ? '' : tag.name.slice(0, colon);
    const uris = bindings.get(prefix);
    const element: XmlElement = {
      local: localName(tag.name),
      uri: uris?.[uris.length - 1] ?? '',
      attributes,
      text: '',
      children: [],
      line: parser.line,
    };
    const parent = stack[stack.length - 1];
    if (parent) parent.element.children.push(element);
    else root ??= element;
    stack.push({ element, declared });
  });
  parser.on('closetag', () => {
    const frame = stack.pop();
    for (const prefix of frame?.declared ?? []) bindings.get(prefix)?.pop();
  });
  const appendText = (chunk: string): void => {
    const current = stack[stack.length - 1];
    if (current) current.element.text += chunk;
  };
  parser.on('text', appendText);
  parser.on('cdata', appendText);
  parser.write(text).close();
  if (!root) throw new XmlSyntaxError('no root element', 1);
  return root;
}

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

/** Shaped like a PEG error (`location.start.line`) so that parseFailure finds the line. */
export class XmlSyntaxError extends Error {
  override readonly name = 'XmlSyntaxError';
  readonly location: { start: { line: number } };

  constructor(message: string, line: number) {
    super(message);
    this.location = { start: { line } };
  }
}

export function child(element: XmlElement, local: string): XmlElement | undefined {
  return element.children.find((c) => c.local === local);
}

export function childText(element: XmlElement, local: string): string | undefined {
  const text = child(element, local)?.text.trim();
  return text ? text : undefined;
}

export function childrenNamed(element: XmlElement | undefined, local: string): XmlElement[] {
  return element ? element.children.filter((c) => c.local === local) : [];
}
