/**
 * The advisory ids in one secfixes entry. Entries are meant to be one CVE id but real ones carry
 * more: `CVE-2017-8904 XSA-214`, `CVE-2017-14450 TALOS-2017-0499`, `XSA-207` alone, placeholders
 * such as `CVE-????-?????  XSA-295`, typos (`CVE_2019-2426`, `CVE 2018-16859`), part suffixes
 * (`CVE-2017-17434-1`), patch names (`CVE-2019-19451.patch`) and vendor ids (`wnpa-sec-2017-18`).
 * CVE ids come first so the caller can use the first id as the advisory id.
 */
export function secfixIds(text: string): string[] {
  const cves: string[] = [];
  const others: string[] = [];
  for (const token of text.replace(/\bCVE[\s_]+(?=\d{4}-\d)/gi, 'CVE-').split(/[\s,;]+/)) {
    if (token === '') continue;
    const cve = /^CVE[-_](\d{4})-(\d{4,})(?:[-.][\w.-]*)?$/i.exec(token);
    if (cve) {
      const id = `CVE-${cve[1]}-${cve[2]}`;
      if (!cves.includes(id)) cves.push(id);
    } else if (
      /^[A-Za-z][A-Za-z0-9]+-[\w.-]*\d[\w.-]*$/.test(token) &&
      !/^CVE/i.test(token) &&
      !others.includes(token)
    ) {
      others.push(token);
    }
  }
  return [...cves, ...others];
}
