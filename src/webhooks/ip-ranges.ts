import { isIPv4, isIPv6 } from 'node:net';

/**
 * Address classification for the webhook SSRF guard: says why an address must not be a webhook target,
 * or null when it is a public unicast address.
 */

interface V4Range {
  base: number;
  bits: number;
  reason: string;
}

function v4(text: string): number {
  const parts = text.split('.').map(Number);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

const V4_RANGES: V4Range[] = [
  { base: v4('0.0.0.0'), bits: 8, reason: 'unspecified ("this network", 0.0.0.0/8)' },
  { base: v4('10.0.0.0'), bits: 8, reason: 'private (10.0.0.0/8)' },
  { base: v4('100.64.0.0'), bits: 10, reason: 'shared carrier-grade NAT (100.64.0.0/10)' },
  { base: v4('127.0.0.0'), bits: 8, reason: 'loopback (127.0.0.0/8)' },
  { base: v4('169.254.0.0'), bits: 16, reason: 'link-local (169.254.0.0/16, includes cloud metadata)' },
  { base: v4('172.16.0.0'), bits: 12, reason: 'private (172.16.0.0/12)' },
  { base: v4('192.0.0.0'), bits: 24, reason: 'IETF protocol assignments (192.0.0.0/24)' },
  { base: v4('192.168.0.0'), bits: 16, reason: 'private (192.168.0.0/16)' },
  { base: v4('198.18.0.0'), bits: 15, reason: 'benchmarking (198.18.0.0/15)' },
  { base: v4('224.0.0.0'), bits: 4, reason: 'multicast (224.0.0.0/4)' },
  { base: v4('240.0.0.0'), bits: 4, reason: 'reserved or broadcast (240.0.0.0/4)' },
];

function classifyV4Int(value: number): string | null {
  for (const r of V4_RANGES) {
    const mask = r.bits === 0 ? 0 : (0xffffffff << (32 - r.bits)) >>> 0;
    if ((value & mask) >>> 0 === r.base) return r.reason;
  }
  return null;
}

/** 8 groups of 16 bits; accepts `::` compression, a trailing dotted IPv4 and a `%zone`. */
export function parseIPv6(text: string): number[] | null {
  const addr = text.replace(/^\[|\]$/g, '').split('%')[0];
  if (!isIPv6(addr)) return null;
  let head = addr;
  const tailGroups: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(addr);
  if (dotted) {
    const n = v4(dotted[1]);
    tailGroups.push(n >>> 16, n & 0xffff);
    head = addr.slice(0, addr.length - dotted[1].length);
    // "::ffff:" leaves a trailing colon that is not a compression marker; "::" stays "::".
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const parseGroups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  let groups: number[];
  const dbl = head.indexOf('::');
  if (dbl >= 0) {
    const left = parseGroups(head.slice(0, dbl));
    const right = parseGroups(head.slice(dbl + 2));
    const fill = 8 - left.length - right.length - tailGroups.length;
    if (fill < 0) return null;
    groups = [...left, ...new Array<number>(fill).fill(0), ...right, ...tailGroups];
  } else {
    groups = [...parseGroups(head), ...tailGroups];
  }
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff)
    ? groups
    : null;
}

function embeddedV4(g: number[], hi: number, lo: number): number {
  return ((g[hi] << 16) | g[lo]) >>> 0;
}

function v4Text(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function classifyV6(g: number[]): string | null {
  const zeroUpTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(8)) return 'unspecified (::)';
  if (zeroUpTo(7) && g[7] === 1) return 'loopback (::1)';
  if (zeroUpTo(5) && g[5] === 0xffff) {
    const inner = embeddedV4(g, 6, 7);
    const why = classifyV4Int(inner);
    return why ? `IPv4-mapped ${v4Text(inner)}: ${why}` : null;
  }
  if (zeroUpTo(6)) {
    const inner = embeddedV4(g, 6, 7);
    return `IPv4-compatible ${v4Text(inner)} (deprecated ::/96)`;
  }
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) {
    const inner = embeddedV4(g, 6, 7);
    const why = classifyV4Int(inner);
    return why ? `NAT64 64:ff9b::${v4Text(inner)}: ${why}` : null;
  }
  if (g[0] === 0x2002) {
    const inner = embeddedV4(g, 1, 2);
    const why = classifyV4Int(inner);
    return why ? `6to4 2002::/16 embedding ${v4Text(inner)}: ${why}` : null;
  }
  if ((g[0] & 0xffc0) === 0xfe80) return 'link-local (fe80::/10)';
  if ((g[0] & 0xffc0) === 0xfec0) return 'site-local (fec0::/10, deprecated)';
  if ((g[0] & 0xfe00) === 0xfc00) return 'unique-local (fc00::/7)';
  if ((g[0] & 0xff00) === 0xff00) return 'multicast (ff00::/8)';
  if (g[0] === 0x0100 && g.slice(1, 4).every((x) => x === 0)) return 'discard-only (100::/64)';
  if (g[0] === 0x2001 && g[1] === 0x0db8) return 'documentation (2001:db8::/32)';
  return null;
}

/**
 * Why `address` (an IPv4 or IPv6 literal) may not receive webhooks, or null when it is public.
 * Text that is no IP address at all is refused too, so a parsing gap never lets an address through.
 */
export function blockedAddressReason(address: string): string | null {
  if (isIPv4(address)) return classifyV4Int(v4(address));
  const g = parseIPv6(address);
  if (g) return classifyV6(g);
  return `not an IP address: ${JSON.stringify(address)}`;
}
