/**
 * Ubuntu CVE Tracker files written for the tests in the format the tracker's README documents
 * (the real tracker data has no stated licence, so none is committed). Ids, packages and versions
 * are made up.
 */
export const UCT_SAMPLE = `Candidate: CVE-2099-0001
PublicDate: 2099-03-10 20:15:00 UTC
References:
 https://cve.example.org/CVE-2099-0001
 https://example.org/advisory
Description:
 A first line of the description
 and its continuation.

 A second paragraph after a blank line.
Ubuntu-Description:
Notes:
 alice> the fix needs
  a backport
 bob| second note
Mitigation:
Bugs:
 https://bugs.example.org/1
Priority: medium
Priority_libexample_xenial: high
Discovered-by:
Assigned-to:
CVSS:
 nvd: CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N
 other: AV:N/AC:L/Au:N/C:P/I:P/A:P

#Patches_libexample:
Patches_libexample:
 upstream: https://example.org/commit/1
upstream_libexample: released (1.2.3)
precise/esm_libexample: DNE
trusty_libexample: ignored (out of standard support)
trusty/esm_libexample: needed
xenial_libexample: deferred (2099-01-01)
bionic_libexample: released (1.2.0-1ubuntu0.1)
eoan_libexample: not-affected (1.2.3-1)
focal_libexample: released-esm [1.2.0-1ubuntu0.2~esm1]
groovy_libexample: pending (1.2.3-2)
devel_libexample: released (1.2.3-1)
vivid/ubuntu-core_libexample: needed

Patches_other:
upstream_other: needs-triage
bionic_other: needs-triage
focal_other: active
`;

/** A malformed file: a stray line, a status nobody knows, a release fix without its version. */
export const UCT_BROKEN = `Candidate: CVE-2099-0002
PublicDate: sometime
 orphan continuation? no: it continues PublicDate
Description:
 Broken on purpose.
-- Tags_x: universe-binary
Priority: negligible
bionic_x: fixed (1.0)
focal_x: released
narnia_x: needed
jammy_x: released (1.0-1)
jammy_x: needed
`;
