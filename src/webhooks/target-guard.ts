// Outbound safety for webhook requests: a hosted server must not become a proxy into its own
// network. Addresses in loopback, private, carrier-grade NAT, link-local (cloud metadata lives at
// 169.254.169.254 and fd00:ec2::254), multicast, reserved or unspecified ranges are refused — for
// IPv4, IPv6 and IPv6 forms that embed an IPv4 address (mapped, compatible, NAT64, 6to4). The check
// runs on the address the socket actually connects to (a `lookup` hook), so a DNS answer that
// changes between registration and sending cannot slip through.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

const v4 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT (also Alibaba's metadata 100.100.100.200)
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  v4.addSubnet(net, prefix, 'ipv4');

const v6 = new BlockList();
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local (incl. fd00:ec2::254)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const)
  v6.addSubnet(net, prefix, 'ipv6');

/** The 8 groups of an IPv6 address as numbers (handles `::` and a trailing dotted IPv4). */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const parts = dotted[1].split('.').map(Number);
    const hi = ((parts[0] ?? 0) << 8) | (parts[1] ?? 0);
    const lo = ((parts[2] ?? 0) << 8) | (parts[3] ?? 0);
    text = `${text.slice(0, -dotted[1].length)}${hi.toString(16)}:${lo.toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? left.length !== 8 : missing < 0) return undefined;
  return [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right].map((g) =>
    Number.parseInt(g, 16),
  );
}

function v4FromGroups(hi: number, lo: number): string {
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Why `address` (an IP literal) may not be a webhook target, or undefined when it may. */
export function forbiddenAddress(address: string): string | undefined {
  const family = isIP(address);
  if (family === 4) return v4.check(address, 'ipv4') ? `${address} is not a public address` : undefined;
  if (family !== 6) return `${address} is not an IP address`;
  const g = ipv6Groups(address);
  if (!g) return `${address} is not an IP address`;
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  let embedded: string | undefined;
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && (g5 === 0xffff || g5 === 0)) {
    // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible); :: and ::1 are in the IPv6 list.
    if (g5 === 0xffff || g6 !== 0) embedded = v4FromGroups(g6, g7);
  } else if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    embedded = v4FromGroups(g6, g7); // NAT64
  } else if (g0 === 0x2002) {
    embedded = v4FromGroups(g1, g2); // 6to4
  }
  if (embedded !== undefined && v4.check(embedded, 'ipv4'))
    return `${address} embeds ${embedded}, which is not a public address`;
  return v6.check(address.split('%')[0] ?? address, 'ipv6')
    ? `${address} is not a public address`
    : undefined;
}

/** Why a URL's host may not be a target before any DNS lookup: a literal address (names are checked where they resolve). */
export function forbiddenHost(hostname: string): string | undefined {
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (isIP(host) !== 0) return forbiddenAddress(host);
  return undefined;
}

export class TargetRefusedError extends Error {
  readonly code = 'EWEBHOOKTARGET';
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for http(s) requests that refuses forbidden addresses. Every resolved address must be
 * allowed (so round-robin answers cannot mix in an internal one).
 */
export function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(
    hostname,
    { all: true, family: typeof options.family === 'number' ? options.family : 0 },
    (err, addresses) => {
      if (err) {
        callback(err, []);
        return;
      }
      for (const entry of addresses) {
        const problem = forbiddenAddress(entry.address);
        if (problem !== undefined) {
          callback(new TargetRefusedError(`refused: ${hostname} → ${problem}`), []);
          return;
        }
      }
      const first = addresses[0];
      if (!first) {
        callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
        return;
      }
      if (options.all === true) callback(null, addresses);
      else callback(null, first.address, first.family);
    },
  );
}
