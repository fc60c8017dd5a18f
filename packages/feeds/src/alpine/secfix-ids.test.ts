import { describe, expect, it } from 'vitest';
import { secfixIds } from './secfix-ids.ts';

describe('secfixIds', () => {
  it.each([
    ['CVE-2019-14904', ['CVE-2019-14904']],
    ['CVE-2017-8904 XSA-214', ['CVE-2017-8904', 'XSA-214']],
    ['XSA-207', ['XSA-207']],
    ['CVE-2018-3665   XSA-267', ['CVE-2018-3665', 'XSA-267']],
    ['CVE-2017-14450 TALOS-2017-0499', ['CVE-2017-14450', 'TALOS-2017-0499']],
    ['CVE-????-?????  XSA-295', ['XSA-295']],
    ['CVE_2019-2426', ['CVE-2019-2426']],
    ['CVE 2018-16859', ['CVE-2018-16859']],
    ['CVE-2017-17434-1', ['CVE-2017-17434']],
    ['CVE-2019-19451.patch', ['CVE-2019-19451']],
    [' CVE-2016-6263', ['CVE-2016-6263']],
    ['wnpa-sec-2017-18', ['wnpa-sec-2017-18']],
    ['XSA-214 CVE-2017-8904, CVE-2017-8905', ['CVE-2017-8904', 'CVE-2017-8905', 'XSA-214']],
    ['', []],
    ['fixed upstream', []],
    ['CVE-19-1', []],
  ])('%j -> %j', (text, ids) => {
    expect(secfixIds(text)).toEqual(ids);
  });
});
