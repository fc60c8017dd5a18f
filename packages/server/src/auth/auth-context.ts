import type { AuditLog, AuthRepository } from '@patchwarden/store';
import type { Clock } from '../app/services.ts';
import type { PrincipalSources } from './authenticate.ts';
import type { LoginThrottle } from './login-throttle.ts';

/** What the auth routes share, built once by the plugin. */
export interface AuthRouteContext {
  repository: AuthRepository;
  audit: AuditLog;
  clock: Clock;
  throttle: LoginThrottle;
  sources: PrincipalSources;
}
