import { PatchwardenError } from '@patchwarden/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { assertFeedSources, DEFAULT_FEED_SOURCES, parseFeedSourcesConfig } from './feed-sources.ts';

function parseError(text: string): PatchwardenError {
  try {
    parseFeedSourcesConfig(text, 'feeds.yaml');
  } catch (error) {
    if (error instanceof PatchwardenError) return error;
    throw error;
  }
  throw new Error('expected the config to be refused');
}

describe('DEFAULT_FEED_SOURCES', () => {
  it('has the 13 osv.dev exports plus KEV, EPSS, the Debian tracker and CWE, all https, names and files unique', () => {
    expect(DEFAULT_FEED_SOURCES).toHaveLength(17);
    for (const { url } of DEFAULT_FEED_SOURCES) expect(new URL(url).protocol, url).toBe('https:');
    expect(new Set(DEFAULT_FEED_SOURCES.map((s) => s.name)).size).toBe(17);
    expect(new Set(DEFAULT_FEED_SOURCES.map((s) => s.file.toLowerCase())).size).toBe(17);
    expect(() => assertFeedSources(DEFAULT_FEED_SOURCES, 'defaults')).not.toThrow();
  });

  it('spells osv.dev ecosystems as the bucket does, with the space in Rocky Linux encoded', () => {
    const osv = DEFAULT_FEED_SOURCES.filter((s) => s.name.startsWith('osv-')).map((s) => new URL(s.url));
    expect(osv.every((u) => u.host === 'osv-vulnerabilities.storage.googleapis.com')).toBe(true);
    expect(osv.map((u) => decodeURIComponent(u.pathname))).toEqual(
      [
        'Debian',
        'Ubuntu',
        'Alpine',
        'AlmaLinux',
        'Rocky Linux',
        'npm',
        'PyPI',
        'Go',
        'Maven',
        'RubyGems',
        'crates.io',
        'NuGet',
        'Packagist',
      ].map((e) => `/${e}/all.zip`),
    );
    expect(DEFAULT_FEED_SOURCES.find((s) => s.name === 'osv-rocky-linux')?.url).toContain('/Rocky%20Linux/');
  });

  it('takes EPSS from the host FIRST documents', () => {
    expect(DEFAULT_FEED_SOURCES.find((s) => s.name === 'epss')?.url).toBe(
      'https://epss.empiricalsecurity.com/epss_scores-current.csv.gz',
    );
  });
});

describe('parseFeedSourcesConfig', () => {
  it('reads feeds: [{ name, url, file }]', () => {
    const text = [
      'feeds:',
      '  - name: cisa-kev',
      '    url: https://mirror.example.internal/kev.json',
      '    file: known_exploited_vulnerabilities.json',
      '  - name: osv-debian',
      '    url: http://10.0.0.5/osv/Debian/all.zip',
      '    file: osv-debian-all.zip',
    ].join('\n');
    expect(parseFeedSourcesConfig(text, 'feeds.yaml')).toEqual([
      {
        name: 'cisa-kev',
        url: 'https://mirror.example.internal/kev.json',
        file: 'known_exploited_vulnerabilities.json',
      },
      { name: 'osv-debian', url: 'http://10.0.0.5/osv/Debian/all.zip', file: 'osv-debian-all.zip' },
    ]);
  });

  it('names the file, field path and line of a bad field', () => {
    const error = parseError(
      [
        'feeds:',
        '  - name: a',
        '    url: https://x.test/a',
        '    file: a.json',
        '  - name: b',
        '    file: b.json',
      ].join('\n'),
    );
    expect(error.code).toBe('PW_ERR_INVALID_RECORD');
    expect(error.details).toMatchObject({ file: 'feeds.yaml', field: 'feeds[1].url', line: 5 });
    expect(error.message).toContain('feeds.yaml');
    expect(error.message).toContain('feeds[1].url');
  });

  it.each([
    ['url: ftp://x.test/a', 'feeds[0].url', /http or https/],
    ['url: not a url', 'feeds[0].url', /not a URL/],
    ['url: https://user:secret@x.test/a', 'feeds[0].url', /credentials/],
    ['file: ../../etc/passwd', 'feeds[0].file', /plain file name/],
    ['file: sub/dir.json', 'feeds[0].file', /plain file name/],
    ['file: .hidden', 'feeds[0].file', /plain file name/],
    ['file: a.json.meta.json', 'feeds[0].file', /meta\.json/],
    ['file: 42', 'feeds[0].file', /plain file name/],
    ['name: ""', 'feeds[0].name', /non-empty/],
    ['uri: https://x.test/a', 'feeds[0].uri', /not a known field/],
  ])('refuses %s, naming %s', (line, field, message) => {
    const base: Record<string, string> = {
      name: 'name: a',
      url: 'url: https://x.test/a',
      file: 'file: a.json',
    };
    const key = line.split(':')[0] as string;
    const fields = { ...base, [key]: line };
    const text = `feeds:\n  - ${Object.values(fields).join('\n    ')}\n`;
    const error = parseError(text);
    expect(error.code).toBe('PW_ERR_INVALID_RECORD');
    expect(error.details.field).toBe(field);
    expect(error.details.file).toBe('feeds.yaml');
    expect(error.details.line).toBeGreaterThanOrEqual(2);
    expect(error.message).toMatch(message);
  });

  it('refuses repeated names and files (compared without case), naming the later entry', () => {
    const entry = (name: string, file: string) =>
      `  - { name: ${name}, url: "https://x.test/${name}", file: ${file} }`;
    expect(
      parseError(['feeds:', entry('a', 'a.json'), entry('a', 'b.json')].join('\n')).details,
    ).toMatchObject({
      field: 'feeds[1].name',
      line: 3,
    });
    expect(
      parseError(['feeds:', entry('a', 'a.json'), entry('b', 'A.JSON')].join('\n')).details,
    ).toMatchObject({
      field: 'feeds[1].file',
    });
  });

  it('refuses a config without a feeds list, and says where YAML syntax breaks', () => {
    expect(parseError('sources: []').details.field).toBe('feeds');
    expect(parseError('feeds: {}').details.field).toBe('feeds');
    expect(parseError('feeds: []').message).toMatch(/empty/);
    expect(parseError('feeds:\n  - just-a-string\n').details.field).toBe('feeds[0]');
    const syntax = parseError('feeds:\n  - name: a\n    url: [unclosed\n');
    expect(syntax.code).toBe('PW_ERR_PARSE');
    expect(syntax.details.file).toBe('feeds.yaml');
    expect(syntax.details.line).toBeGreaterThanOrEqual(3);
  });

  it('reads back any valid list written as YAML', () => {
    const fileName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_+-]{0,20}\.(json|zip|gz)$/);
    const feed = fc.record({
      name: fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() === s && s !== ''),
      url: fc.webUrl({ validSchemes: ['http', 'https'] }).filter((u) => !/^https?:\/\/[^/]*@/.test(u)),
      file: fileName,
    });
    const feeds = fc.uniqueArray(feed, {
      minLength: 1,
      maxLength: 6,
      selector: (f) => f.name,
    });
    fc.assert(
      fc.property(feeds, (list) => {
        fc.pre(new Set(list.map((f) => f.file.toLowerCase())).size === list.length);
        expect(parseFeedSourcesConfig(stringify({ feeds: list }), 'p.yaml')).toEqual(list);
      }),
      { numRuns: 100 },
    );
  });
});
