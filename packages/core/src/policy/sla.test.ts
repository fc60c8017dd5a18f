import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from './default-policy.ts';
import { slaDueDate, slaStatus } from './sla.ts';
import type { SlaInput } from './sla.ts';
import { asset, finding, policy } from './testing/policy-fixtures.ts';

const NOW = '2026-03-01T00:00:00Z';
const internal = asset('db-1', { exposure: 'internal' });
const internet = asset('web-1', { exposure: 'internet' });
const kevEntry = { dateAdded: '2026-01-02', dueDate: '2026-01-02', knownRansomwareCampaignUse: 'Unknown' };

function due(input: Partial<SlaInput> & Pick<SlaInput, 'riskLevel'>, doc = DEFAULT_POLICY) {
  return slaDueDate(
    {
      finding: finding('CVE-2026-0001', { assetId: 'db-1' }),
      asset: internal,
      firstSeen: '2026-01-01T00:00:00Z',
      now: NOW,
      ...input,
    },
    doc,
  );
}

describe('slaDueDate', () => {
  it('runs the clock from first sighting, whenever someone looks', () => {
    const early = due({ riskLevel: 'high' });
    expect(early).toMatchObject({ due: '2026-01-31T00:00:00Z', rule: 'high', source: 'sla' });
    expect(due({ riskLevel: 'high', now: '2027-01-01T00:00:00Z' }).due).toBe('2026-01-31T00:00:00Z');
    expect(due({ riskLevel: 'high', firstSeen: '2026-01-10T12:00:00Z' }).due).toBe('2026-02-09T12:00:00Z');
  });

  it('applies every rule that holds and keeps the earliest due date', () => {
    const critical = due({ riskLevel: 'critical' });
    expect(critical.due).toBe('2026-01-08T00:00:00Z');
    expect(critical.rule).toBe('critical');
    expect(critical.candidates.map((c) => c.rule)).toEqual(['critical', 'high', 'medium', 'low']);
    expect(due({ riskLevel: 'medium' }).due).toBe('2026-04-01T00:00:00Z');
    expect(due({ riskLevel: 'low' }).due).toBe('2026-06-30T00:00:00Z');
  });

  it('critical and internet-facing: 2 days; critical and internal: 7', () => {
    expect(due({ riskLevel: 'critical', asset: internet })).toMatchObject({
      due: '2026-01-03T00:00:00Z',
      rule: 'critical-internet-facing',
    });
    expect(due({ riskLevel: 'critical', asset: internal }).rule).toBe('critical');
  });

  it('KEV: min(2 days, the KEV due date)', () => {
    const kevSoon = finding('CVE-2026-0002', { assetId: 'db-1', kev: kevEntry });
    // CISA's date (end of 2026-01-02) comes before first seen + 2 days (2026-01-03).
    expect(due({ riskLevel: 'medium', finding: kevSoon })).toMatchObject({
      due: '2026-01-03T00:00:00Z',
      rule: 'kev',
    });
    const kevEarly = finding('CVE-2026-0003', {
      assetId: 'db-1',
      kev: { ...kevEntry, dueDate: '2025-12-15' },
    });
    const result = due({ riskLevel: 'medium', finding: kevEarly });
    expect(result.due).toBe('2025-12-16T00:00:00Z');
    expect(result.explanation).toContain('CISA KEV due date 2025-12-15');
    const kevLate = finding('CVE-2026-0004', {
      assetId: 'db-1',
      kev: { ...kevEntry, dueDate: '2026-06-01' },
    });
    expect(due({ riskLevel: 'medium', finding: kevLate }).due).toBe('2026-01-03T00:00:00Z');
  });

  it('a kevDueDate-only rule gives nothing for a finding outside KEV', () => {
    const doc = policy({ slas: [{ name: 'kev-only', when: {}, kevDueDate: true }] });
    const result = due({ riskLevel: 'high', asset: asset('x', { assetClasses: [] }) }, doc);
    expect(result).toMatchObject({ source: 'none' });
    expect(result.due).toBeUndefined();
    expect(result.explanation).toContain('kev-only (KEV due date, but not in KEV)');
  });

  it('conditions on patch type, package and asset filters', () => {
    const doc = policy({
      slas: [
        { name: 'regulatory', when: { patchTypes: ['regulatory'] }, days: 10 },
        { name: 'browsers', when: { packages: ['firefox*'] }, days: 5 },
        { name: 'pci', when: { assets: 'tag:pci' }, days: 15 },
      ],
    });
    expect(due({ riskLevel: 'low', patchType: 'regulatory' }, doc).rule).toBe('regulatory');
    expect(
      due({ riskLevel: 'low', finding: finding('C', { assetId: 'db-1', name: 'firefox-esr' }) }, doc).rule,
    ).toBe('browsers');
    expect(due({ riskLevel: 'low', asset: asset('p', { tags: ['pci'] }) }, doc).rule).toBe('pci');
  });

  it('no rule: the end of the asset class cadence cycle after first sighting', () => {
    const doc = policy({ slas: [], schedules: { cadences: { firmware: 'quarterly' } } });
    const os = due({ riskLevel: 'none' }, doc);
    // Monthly OS cycle: the first cycle starting after 2026-01-01T00:00Z is February.
    expect(os).toMatchObject({ source: 'schedule', rule: 'schedule:monthly', due: '2026-02-01T00:00:00Z' });
    const mid = due({ riskLevel: 'none', firstSeen: '2026-01-15T00:00:00Z' }, doc);
    expect(mid.due).toBe('2026-03-01T00:00:00Z');
    const firmware = due(
      { riskLevel: 'none', asset: asset('bmc', { assetClasses: ['firmware'], timeZone: 'Europe/Berlin' }) },
      doc,
    );
    // 01:00 in Berlin is past that day's boundary: the next quarter starts 1 April, due 1 July (CEST).
    expect(firmware).toMatchObject({ rule: 'schedule:quarterly', due: '2026-06-30T22:00:00Z' });
    const none = due({ riskLevel: 'none', asset: asset('bare', { assetClasses: [] }) }, doc);
    expect(none.source).toBe('none');
  });
});

describe('slaStatus', () => {
  it('on-track, due-soon within 3 days, breached from the due instant on', () => {
    const dueAt = '2026-01-10T00:00:00Z';
    expect(slaStatus(dueAt, '2026-01-06T23:59:59Z')).toBe('on-track');
    expect(slaStatus(dueAt, '2026-01-07T00:00:00Z')).toBe('due-soon');
    expect(slaStatus(dueAt, '2026-01-09T23:59:59Z')).toBe('due-soon');
    expect(slaStatus(dueAt, '2026-01-10T00:00:00Z')).toBe('breached');
    expect(slaStatus(dueAt, '2026-01-07T00:00:00Z', { dueSoonDays: 1 })).toBe('on-track');
  });

  it('refuses a date that is not RFC 3339', () => {
    expect(() => slaStatus('10/01/2026', '2026-01-01T00:00:00Z')).toThrow(/RFC 3339/);
  });
});
