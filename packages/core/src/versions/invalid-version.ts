import { pwError } from '../errors/index.ts';
import type { PatchwardenError } from '../errors/index.ts';
import type { VersionSchemeId } from './version-scheme.ts';

/** The one error every scheme raises for a version it rejects, naming the scheme and the string. */
export function invalidVersion(scheme: VersionSchemeId, version: string): PatchwardenError {
  return pwError('PW_ERR_INVALID_VERSION', `Invalid ${scheme} version "${version}"`, {
    field: 'version',
    scheme,
    version,
  });
}
