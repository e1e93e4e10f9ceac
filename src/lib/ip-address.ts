/**
 * IP addresses, CIDR ranges and the address of the client behind trusted proxies. Pure (no `node:net`),
 * so allowlists work the same on Node and Workers.
 */

export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

export interface IpRange {
  family: 4 | 6;
  network: bigint;
  prefix: number;
}

/**
 * Parses an IPv4 or IPv6 address. IPv4-mapped IPv6 (`::ffff:10.0.0.1`, how Node reports IPv4 peers on
 * a dual-stack socket) is read as the IPv4 address, so one allowlist entry covers both spellings.
 */
export function parseIp(text: string): IpAddress | undefined {
  const address = text.trim().replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  if (address.includes(':')) {
    const v6 = parseIpv6(address);
    if (v6 === undefined) return undefined;
    if (v6 >> 32n === 0xffffn) return { family: 4, value: v6 & 0xffffffffn };
    return { family: 6, value: v6 };
  }
  const v4 = parseIpv4(address);
  return v4 === undefined ? undefined : { family: 4, value: v4 };
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255 || (part.length > 1 && part.startsWith('0'))) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string): bigint[] | undefined => {
    if (half === '') return [];
    const out: bigint[] = [];
    const pieces = half.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (v4 === undefined) return undefined;
        out.push(v4 >> 16n, v4 & 0xffffn);
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) out.push(BigInt(`0x${piece}`));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array<bigint>(halves.length === 2 ? missing : 0).fill(0n), ...tail];
  return all.reduce((value, group) => (value << 16n) | group, 0n);
}

/** `10.0.0.0/8`, `2001:db8::/32`, or a single address (a /32 or /128). */
export function parseRange(text: string): IpRange | undefined {
  const [addressText, prefixText, extra] = text.trim().split('/');
  if (extra !== undefined || !addressText) return undefined;
  const address = parseIp(addressText);
  if (!address) return undefined;
  const bits = address.family === 4 ? 32 : 128;
  // A mapped IPv6 range (`::ffff:10.0.0.0/104`) counts its prefix over 128 bits.
  const mapped = address.family === 4 && addressText.includes(':');
  let prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  if (mapped) prefix -= 96;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return undefined;
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  return { family: address.family, network: address.value & mask, prefix };
}

export function inRange(address: IpAddress, range: IpRange): boolean {
  if (address.family !== range.family) return false;
  const bits = address.family === 4 ? 32 : 128;
  const mask = range.prefix === 0 ? 0n : ((1n << BigInt(range.prefix)) - 1n) << BigInt(bits - range.prefix);
  return (address.value & mask) === range.network;
}

/** Whether a textual address is inside any of the ranges; an unparsable address is inside none. */
export function ipAllowed(text: string | undefined, ranges: readonly IpRange[]): boolean {
  const address = text === undefined ? undefined : parseIp(text);
  return address !== undefined && ranges.some((range) => inRange(address, range));
}

/** Parses a comma list of addresses and ranges, naming the first bad entry. */
export function parseRanges(list: string, variable: string): IpRange[] {
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const range = parseRange(entry);
      if (!range) throw new Error(`invalid configuration: ${variable} entry "${entry}" is not an IP address or CIDR range`);
      return range;
    });
}

/**
 * Which proxies in front of Guichet may be believed about the client's address.
 * - `none`: the socket's peer is the client; `X-Forwarded-For` is ignored.
 * - `hops`: that many proxies, each appending the address it received from: the client is the entry
 *   that many places from the right (the socket's peer being the last proxy).
 * - `ranges`: proxies are recognised by address: walking from the socket leftwards through
 *   `X-Forwarded-For`, the first address not in a trusted range is the client.
 * Either way the client can write anything to the left of what the trusted proxies appended, so
 * the leftmost entry is never believed on its own.
 */
export type ProxyTrust = { kind: 'none' } | { kind: 'hops'; hops: number } | { kind: 'ranges'; ranges: readonly IpRange[] };

export function clientAddress(socketAddress: string | undefined, forwardedFor: string | undefined, trust: ProxyTrust): string | undefined {
  if (trust.kind === 'none' || !forwardedFor) return socketAddress;
  const chain = [
    ...forwardedFor
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean),
    ...(socketAddress ? [socketAddress] : []),
  ];
  if (trust.kind === 'hops') {
    // Fewer entries than trusted hops: the request did not come through them all; take the leftmost.
    return chain[Math.max(0, chain.length - 1 - trust.hops)];
  }
  for (let i = chain.length - 1; i >= 0; i--) {
    const entry = chain[i]!;
    const address = parseIp(entry);
    // An entry that is not an address was written by someone untrusted: stop there, allow nothing.
    if (!address) return undefined;
    if (!trust.ranges.some((range) => inRange(address, range))) return entry;
  }
  return chain[0];
}

/** `TRUST_PROXY`: `0` (none), a number of proxies (`1`, `2`), or a comma list of the proxies' CIDR ranges. */
export function parseProxyTrust(text: string): ProxyTrust {
  const value = text.trim();
  if (value === '' || value === '0') return { kind: 'none' };
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > 10) throw new Error('invalid configuration: TRUST_PROXY (want 0..10 proxies or CIDR ranges)');
    return { kind: 'hops', hops };
  }
  return { kind: 'ranges', ranges: parseRanges(value, 'TRUST_PROXY') };
}
