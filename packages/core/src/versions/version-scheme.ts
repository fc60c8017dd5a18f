/**
 * Every ecosystem's version order sits behind this one interface, so that range checks and
 * matching never need to know which package manager a version came from.
 */
export type VersionSchemeId =
  | 'dpkg'
  | 'rpm'
  | 'apk'
  | 'semver'
  | 'pep440'
  | 'maven'
  | 'go'
  | 'rubygems'
  | 'cargo'
  | 'nuget'
  | 'packagist';

export interface VersionScheme {
  readonly id: VersionSchemeId;
  /**
   * Total order on valid versions: negative when `a` sorts before `b`, zero when the two are
   * equal under the ecosystem's rules (e.g. `1.0` and `1.0.0` in Maven), positive otherwise.
   * Throws a PatchwardenError with code PW_ERR_INVALID_VERSION for a version the scheme rejects.
   */
  compare(a: string, b: string): number;
  /** Whether the scheme accepts the string as a version at all. Never throws. */
  isValid(version: string): boolean;
}
