/**
 * The policy a new installation starts with. Deadlines follow common practice (CISA BOD 22-01 for
 * KEV, PCI DSS's month for critical, a quarter for medium); approval lets security fixes through
 * after a short soak and leaves everything else to a person. No windows: until some are assigned,
 * assets may be patched at any time.
 */
import type { PolicyDocument } from './policy-schema.ts';

export const DEFAULT_POLICY: PolicyDocument = Object.freeze({
  apiVersion: 'patchwarden/v1',
  kind: 'PatchPolicy',
  metadata: { name: 'default', description: 'Patchwarden defaults' },
  spec: {
    baselines: [
      {
        name: 'default',
        description: 'Every asset',
        rules: [
          {
            name: 'exploited-or-critical',
            description: 'Known exploited or critical security fixes: no soak',
            match: { patchTypes: ['security'], riskLevelAtLeast: 'critical' },
            autoApproveAfterDays: 0,
          },
          { name: 'kev', match: { patchTypes: ['security'], kev: true }, autoApproveAfterDays: 0 },
          { name: 'security', match: { patchTypes: ['security'] }, autoApproveAfterDays: 3 },
          { name: 'bugfix', match: { patchTypes: ['bugfix', 'regulatory'] }, autoApproveAfterDays: 14 },
        ],
      },
    ],
    slas: [
      {
        name: 'kev',
        description: "Known exploited: 2 days, never after CISA's due date",
        when: { kev: true },
        days: 2,
        kevDueDate: true,
      },
      {
        name: 'critical-internet-facing',
        when: { riskLevelAtLeast: 'critical', assets: 'exposure:internet' },
        days: 2,
      },
      { name: 'critical', when: { riskLevelAtLeast: 'critical' }, days: 7 },
      { name: 'high', when: { riskLevelAtLeast: 'high' }, days: 30 },
      { name: 'medium', when: { riskLevelAtLeast: 'medium' }, days: 90 },
      { name: 'low', when: { riskLevelAtLeast: 'low' }, days: 180 },
    ],
    windows: [],
    exceptions: [],
    emergencies: [],
  },
}) as PolicyDocument;
