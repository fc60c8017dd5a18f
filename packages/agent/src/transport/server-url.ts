import { isIPv4, isIPv6 } from 'node:net';
import { pwError } from '@patchwarden/core';

/**
 * The server's base URL. HTTPS always; plain HTTP only to this machine (a server or TLS-ending
 * proxy on loopback), since the agent sends its credential and the host's whole inventory.
 */
export function parseServerUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (cause) {
    throw pwError('PW_ERR_USAGE', `--server: "${raw}" is not a URL`, { field: 'server' }, cause);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw pwError('PW_ERR_USAGE', `--server: ${url.protocol} is not supported; use https://`, {
      field: 'server',
    });
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw pwError(
      'PW_ERR_USAGE',
      `--server: plain http:// is refused for ${url.hostname}: the credential and the inventory would travel ` +
        'unencrypted; use https:// (http:// is accepted for loopback only)',
      { field: 'server' },
    );
  }
  if (url.username || url.password)
    throw pwError('PW_ERR_USAGE', '--server: credentials do not belong in the URL', { field: 'server' });
  if (url.search || url.hash)
    throw pwError('PW_ERR_USAGE', '--server: the URL takes no query or fragment', { field: 'server' });
  return url;
}

/** 127.0.0.0/8, ::1 and `localhost` (RFC 6761 reserves it for loopback). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost') return true;
  if (isIPv4(host)) return host.startsWith('127.');
  if (isIPv6(host)) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

/** `https://h/base/` + `/agent/v1/enrol` -> `https://h/base/agent/v1/enrol` (a reverse proxy may mount the API under a path). */
export function endpointUrl(base: URL, path: string): URL {
  const prefix = base.pathname.replace(/\/+$/, '');
  const url = new URL(base.href);
  url.pathname = `${prefix}${path}`;
  return url;
}
