/**
 * Patch policies are data: a versioned document that is imported and exported as YAML and edited
 * through the API as JSON. Parsing is all or nothing: a document with one bad field is refused as
 * a whole (no partial policy ever takes effect), with PW_ERR_INVALID_RECORD whose details name
 * the file, the exact field path (`spec.baselines[1].autoApproveAfterDays`) and, from YAML, the
 * line. The schema is in policy-schema.ts; cross-field rules are in compile-policy.ts.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, stringify } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { PatchwardenError, pwError } from '../errors/errors.ts';
import { compilePolicy } from './compile-policy.ts';
import type { CompiledPolicy } from './compile-policy.ts';
import { fieldSegments } from './policy-error.ts';
import type { PolicyIssue } from './policy-error.ts';
import type { PolicyDocument } from './policy-schema.ts';

/** The line (1-based) of the deepest node on `path` that exists: the key for a mapping entry. */
function lineOf(doc: Document, counter: LineCounter, path: readonly (string | number)[]): number | undefined {
  let node: unknown = doc.contents;
  let offset = (doc.contents as YamlNode | null)?.range?.[0];
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) break;
      offset = (pair.key as YamlNode).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) break;
      offset = (item as YamlNode).range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset === undefined ? undefined : counter.linePos(offset).line;
}

function withLocation(
  error: PatchwardenError,
  file: string,
  locate: (field: string) => number | undefined,
): PatchwardenError {
  const field = typeof error.details.field === 'string' ? error.details.field : undefined;
  const line = field === undefined ? undefined : locate(field);
  const issues = Array.isArray(error.details.issues)
    ? (error.details.issues as PolicyIssue[]).map((issue) => {
        const issueLine = locate(issue.field);
        return issueLine === undefined ? issue : { ...issue, line: issueLine };
      })
    : undefined;
  const where = line === undefined ? file : `${file}:${line}`;
  return pwError(
    error.code,
    `${where}: ${error.message}`,
    {
      ...error.details,
      file,
      ...(line === undefined ? {} : { line }),
      ...(issues === undefined ? {} : { issues }),
    },
    error,
  );
}

/**
 * Validates a policy document given as a value (an API request body, parsed JSON) and returns it
 * normalised (strings trimmed). `file` names where it came from in errors.
 */
export function validatePolicy(document: unknown, file = '(policy)'): PolicyDocument {
  return compileValidated(document, file).document;
}

function compileValidated(document: unknown, file: string): CompiledPolicy {
  try {
    return compilePolicy(document);
  } catch (error) {
    if (error instanceof PatchwardenError) throw withLocation(error, file, () => undefined);
    throw error;
  }
}

/** Parses and validates a policy from YAML text; `file` is named in every error. */
export function parsePolicyYaml(text: string, file: string): PolicyDocument {
  return parseCompiledPolicyYaml(text, file).document;
}

/** parsePolicyYaml, keeping the compiled form for evaluation. */
export function parseCompiledPolicyYaml(text: string, file: string): CompiledPolicy {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = syntax.linePos?.[0]?.line ?? counter.linePos(syntax.pos[0]).line;
    // One code for every policy input error, so that the API and the CLI handle them alike.
    throw pwError(
      'PW_ERR_INVALID_RECORD',
      `${line === undefined ? file : `${file}:${line}`}: invalid YAML: ${syntax.message.split('\n')[0]}`,
      { file, field: '(yaml)', ...(line === undefined ? {} : { line }) },
      syntax,
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw pwError('PW_ERR_INVALID_RECORD', `${file}: ${message}`, { file, field: '(yaml)' }, error);
  }
  try {
    return compilePolicy(value);
  } catch (error) {
    if (error instanceof PatchwardenError) {
      throw withLocation(error, file, (field) => lineOf(doc, counter, fieldSegments(field)));
    }
    throw error;
  }
}

/**
 * The document as YAML, keys in schema order; `parsePolicyYaml(policyToYaml(doc))` gives `doc`
 * back. Refuses an invalid document rather than exporting something that cannot be imported.
 */
export function policyToYaml(document: PolicyDocument): string {
  const valid = validatePolicy(document);
  return stringify(valid, { lineWidth: 0, aliasDuplicateObjects: false });
}
