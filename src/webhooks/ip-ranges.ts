import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Address classification for the webhook SSRF guard: says why an address must not be a webhook target,
 * or null when it is a public unicast address. ipaddr.js knows the special-purpose ranges; this file only
 * decides which of them a webhook may reach and words the reason.
 */

/**
 * IPv4 ranges (ipaddr.js names) a webhook may reach. Everything else is refused, so a range a future
 * ipaddr.js adds is refused until someone decides otherwise. as112 and amt are public anycast services.
 */
const V4_ALLOWED = new Set(['unicast', 'as112', 'amt']);
/** Teredo, AMT and AS112 are globally routed; the IPv4-embedding ranges are judged by their IPv4. */
const V6_ALLOWED = new Set(['unicast', 'teredo', 'amt', 'as112v6']);

const REASONS: Record<string, string> = {
  // IPv4
  unspecified: 'unspecified ("this network", 0.0.0.0/8)',
  broadcast: 'broadcast (255.255.255.255)',
  multicast: 'multicast (224.0.0.0/4)',
  linkLocal: 'link-local (169.254.0.0/16, includes cloud metadata)',
  loopback: 'loopback (127.0.0.0/8)',
  carrierGradeNat: 'shared carrier-grade NAT (100.64.0.0/10)',
  private: 'private (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)',
  reserved: 'reserved (IETF protocol assignments, documentation, benchmarking, 240.0.0.0/4)',
};

const V6_REASONS: Record<string, string> = {
  unspecified: 'unspecified (::)',
  loopback: 'loopback (::1)',
  linkLocal: 'link-local (fe80::/10)',
  deprecatedSiteLocal: 'site-local (fec0::/10, deprecated)',
  uniqueLocal: 'unique-local (fc00::/7)',
  multicast: 'multicast (ff00::/8)',
  discard: 'discard-only (100::/64)',
  benchmarking: 'benchmarking (2001:2::/48)',
  reserved: 'reserved or documentation (2001::/23, 2001:db8::/32, 3fff::/20)',
  segmentRouting: 'segment routing (5f00::/16)',
};

function v4Reason(addr: ipaddr.IPv4): string | null {
  const range = addr.range();
  return V4_ALLOWED.has(range) ? null : (REASONS[range] ?? `special-purpose range "${range}"`);
}

/** The IPv4 address inside an IPv6 one whose range carries it, with the wording for the reason. */
function embeddedV4(addr: ipaddr.IPv6, range: string): { v4: ipaddr.IPv4; label: string } | null {
  const b = addr.toByteArray();
  if (addr.isIPv4MappedAddress()) return { v4: addr.toIPv4Address(), label: 'IPv4-mapped' };
  // rfc6145: ::ffff:0:a.b.c.d (IPv4-translated); rfc6052: 64:ff9b::a.b.c.d (NAT64): the IPv4 is the last 32 bits.
  if (range === 'rfc6145')
    return { v4: ipaddr.fromByteArray(b.slice(12)) as ipaddr.IPv4, label: 'IPv4-translated' };
  if (range === 'rfc6052')
    return { v4: ipaddr.fromByteArray(b.slice(12)) as ipaddr.IPv4, label: `NAT64 ${addr.toString()}` };
  // 6to4: 2002:AABB:CCDD::/48 carries the IPv4 in bits 16 to 47.
  if (range === '6to4')
    return { v4: ipaddr.fromByteArray(b.slice(2, 6)) as ipaddr.IPv4, label: '6to4 2002::/16 embedding' };
  return null;
}

const V4_COMPATIBLE = ipaddr.parseCIDR('::/96');
/** `::a.b.c.d`: ipaddr.js reads this deprecated IPv4-compatible spelling as IPv4-mapped, so it is caught first. */
const V4_COMPATIBLE_TEXT = /^::(\d{1,3}(\.\d{1,3}){3})$/;

function v6Reason(text: string, addr: ipaddr.IPv6): string | null {
  const compat = V4_COMPATIBLE_TEXT.exec(text);
  if (compat) return `IPv4-compatible ${compat[1]} (deprecated ::/96)`;
  const range = addr.range();
  const inner = embeddedV4(addr, range);
  if (inner) {
    const why = v4Reason(inner.v4);
    return why ? `${inner.label} ${inner.v4.toString()}: ${why}` : null;
  }
  if (V6_REASONS[range]) return V6_REASONS[range];
  // ::/96 other than :: and ::1 (caught above as unspecified and loopback) is IPv4-compatible: not routed.
  if (addr.match(V4_COMPATIBLE)) {
    const v4 = ipaddr.fromByteArray(addr.toByteArray().slice(12)).toString();
    return `IPv4-compatible ${v4} (deprecated ::/96)`;
  }
  return V6_ALLOWED.has(range) ? null : `special-purpose range "${range}"`;
}

/**
 * Why `address` (an IPv4 or IPv6 literal, brackets and a `%zone` allowed) may not receive webhooks, or null
 * when it is public. Text that is no IP address at all is refused too, so a parsing gap never lets an address
 * through. node:net decides what is an address: ipaddr.js alone also takes forms like "0" or "1.2.3", which a
 * resolver never returns and the URL parser has already normalised.
 */
export function blockedAddressReason(address: string): string | null {
  const text = address.replace(/^\[|\]$/g, '');
  const bare = text.split('%')[0];
  const family = isIP(bare);
  if (family === 4) return v4Reason(ipaddr.IPv4.parse(bare));
  if (family === 6) return v6Reason(bare, ipaddr.IPv6.parse(text));
  return `not an IP address: ${JSON.stringify(address)}`;
}
