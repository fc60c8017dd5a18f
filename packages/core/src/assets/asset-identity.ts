/**
 * The identifiers assets are recognised by (MAC, FQDN, hostname, IP), in one normal form so that
 * an agent's `52:54:00:AB:CD:EF`, a CSV's `5254.00ab.cdef` and a scanner's `52-54-00-ab-cd-ef`
 * compare equal, and so that the store can index them as plain text.
 */

const MAC_GROUPS =
  /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/;
const MAC_CISCO = /^([0-9a-f]{4})\.([0-9a-f]{4})\.([0-9a-f]{4})$/;
const MAC_BARE = /^[0-9a-f]{12}$/;

/** Only ASCII letters fold: the store's SQL (`lower(x collate "C")`) folds exactly these. */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
}

/** `aa:bb:cc:dd:ee:ff`, or undefined when `text` is not a 48-bit MAC in a common notation. */
export function normalizeMac(text: string): string | undefined {
  const value = asciiLower(text.trim());
  let hex: string | undefined;
  const groups = MAC_GROUPS.exec(value);
  if (groups) hex = groups.slice(1).join('');
  else if (MAC_CISCO.test(value)) hex = value.replaceAll('.', '');
  else if (MAC_BARE.test(value)) hex = value;
  return hex === undefined ? undefined : hex.match(/../g)!.join(':');
}

/**
 * Whether a MAC identifies one device. All-zero and broadcast addresses, and multicast ones
 * (low bit of the first octet), are shared by many interfaces and must never merge assets.
 */
export function isIdentifyingMac(mac: string): boolean {
  const normal = normalizeMac(mac);
  if (normal === undefined) return false;
  if (normal === '00:00:00:00:00:00' || normal === 'ff:ff:ff:ff:ff:ff') return false;
  return (Number.parseInt(normal.slice(0, 2), 16) & 1) === 0;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Octets of a dotted-quad IPv4 address; leading zeros are refused (some tools read them as octal). */
export function ipv4Octets(text: string): [number, number, number, number] | undefined {
  const match = IPV4.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1).map((part) => (part.length > 1 && part.startsWith('0') ? NaN : Number(part)));
  if (octets.some((octet) => !(octet >= 0 && octet <= 255))) return undefined;
  return octets as [number, number, number, number];
}

/**
 * The canonical text of an IPv4 or IPv6 address (IPv6 compressed and lower-case, as RFC 5952
 * writes it), or undefined when `text` is not an address. IPv6 goes through the WHATWG URL
 * parser, which implements the full address grammar and prints the RFC 5952 form.
 */
export function normalizeIp(text: string): string | undefined {
  const value = text.trim();
  if (ipv4Octets(value)) return value;
  if (!value.includes(':') || /[^0-9a-fA-F:.]/.test(value)) return undefined;
  try {
    return new URL(`http://[${value}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

/**
 * Whether an address identifies one host on its network. Loopback, link-local and unspecified
 * addresses exist on every host; they never merge assets.
 */
export function isIdentifyingIp(ip: string): boolean {
  const normal = normalizeIp(ip);
  if (normal === undefined) return false;
  const v4 = ipv4Octets(normal);
  if (v4) return !(v4[0] === 127 || v4[0] === 0 || (v4[0] === 169 && v4[1] === 254));
  return !(normal === '::' || normal === '::1' || /^fe[89ab][0-9a-f]?:/.test(normal));
}

/** Whether `ip` lies in the IPv4 block `cidr` (`10.0.0.0/8`); false for IPv6 or bad input. */
export function ipv4InCidr(ip: string, cidr: string): boolean {
  const slash = cidr.indexOf('/');
  const base = ipv4Octets(cidr.slice(0, slash));
  const bits = Number(cidr.slice(slash + 1));
  const address = ipv4Octets(ip);
  if (slash < 0 || !base || !address || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const toInt = (o: readonly number[]): number =>
    ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (toInt(address) & mask) >>> 0 === (toInt(base) & mask) >>> 0;
}

/** A DNS name in lower case without its root dot, or undefined when it is not a valid name. */
export function normalizeDnsName(text: string): string | undefined {
  const value = asciiLower(text.trim()).replace(/\.$/, '');
  if (value === '' || value.length > 253) return undefined;
  const labels = value.split('.');
  // Underscores are not legal in host names, but Windows and some appliances use them.
  return labels.every((label) => /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/.test(label)) ? value : undefined;
}

/** The first label of a host name (`web01` for `web01.example.com`). */
export function shortHostname(name: string): string {
  const lower = asciiLower(name.trim());
  const dot = lower.indexOf('.');
  return dot < 0 ? lower : lower.slice(0, dot);
}

/** Host names that many machines carry out of the box: never evidence of being the same asset. */
const GENERIC_HOSTNAMES = new Set([
  'localhost',
  'localhost.localdomain',
  'ubuntu',
  'debian',
  'raspberrypi',
  'host',
]);

export function isIdentifyingHostname(hostname: string): boolean {
  const short = shortHostname(hostname);
  return short !== '' && !GENERIC_HOSTNAMES.has(short) && !GENERIC_HOSTNAMES.has(asciiLower(hostname.trim()));
}
