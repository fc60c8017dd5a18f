import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { formatIssuePath, pointerToPath, toValidationIssues } from './validation-issues.ts';

describe('formatIssuePath', () => {
  it('writes indexes in brackets and identifiers after dots', () => {
    expect(formatIssuePath('body', ['items', 2, 'name'])).toBe('body.items[2].name');
  });

  it('names the querystring "query" and leaves an empty path at the part name', () => {
    expect(formatIssuePath('querystring', ['limit'])).toBe('query.limit');
    expect(formatIssuePath('params', [])).toBe('params');
  });

  it('quotes keys that are not identifiers, so a key "2" differs from index 2', () => {
    expect(formatIssuePath('body', ['tags', '2'])).toBe('body.tags["2"]');
    expect(formatIssuePath('body', ['a b', 'c"d'])).toBe('body["a b"]["c\\"d"]');
  });
});

describe('pointerToPath', () => {
  it('reads digits as indexes and unescapes ~1 and ~0', () => {
    expect(pointerToPath('/items/2/a~1b~0c')).toEqual(['items', 2, 'a/b~c']);
    expect(pointerToPath('')).toEqual([]);
    expect(pointerToPath('/')).toEqual(['']);
  });

  test.prop([
    fc.array(
      fc.oneof(
        fc.nat(),
        fc.string().filter((s) => !/^(0|[1-9][0-9]*)$/.test(s)),
      ),
    ),
  ])('inverts JSON-pointer encoding for paths whose string keys are not all digits', (path) => {
    const pointer = path.map((s) => `/${String(s).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
    expect(pointerToPath(pointer)).toEqual(path);
  });
});

describe('toValidationIssues', () => {
  it('prefers the zod path and falls back to the ajv instancePath', () => {
    const issues = toValidationIssues('body', [
      { path: ['tags', '0'], instancePath: '/tags/0', message: 'bad key' },
      { instancePath: '/items/1/name', message: 'must be string' },
      {},
    ]);
    expect(issues).toEqual([
      { path: 'body.tags["0"]', message: 'bad key' },
      { path: 'body.items[1].name', message: 'must be string' },
      { path: 'body', message: 'Invalid value' },
    ]);
  });
});
