import type {
  AssetRepository,
  AuditLog,
  AuthRepository,
  FindingRepository,
  FindingsService,
  IntelRepository,
  PolicyDecisions,
} from '@patchwarden/store';
import type { Database } from '@patchwarden/store';
import type { Clock } from '../app/services.ts';

/** The repositories the asset, finding, report and agent routes share, built once per app. */
export interface PlatformContext {
  database: Database;
  auth: AuthRepository;
  audit: AuditLog;
  assets: AssetRepository;
  findings: FindingRepository;
  findingsService: FindingsService;
  intel: IntelRepository;
  /** The current policy's view of each finding (suppression, due date), shared by every findings view. */
  policyDecisions: PolicyDecisions;
  clock: Clock;
  /** Days after which an inventory no longer counts as current. */
  staleAfterDays: number;
}
