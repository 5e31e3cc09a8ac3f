// IPv4 subnets for Berth networks: parsing, containment and overlap, and the allocation of a
// free /24 from Swarm's default address pool (10.0.0.0/8 split into /24s, moby
// libnetwork/ipamutils). Pure: the API allocates inside the transaction that creates the network.

export interface Cidr {
  /** Network address as an unsigned 32-bit number. */
  base: number;
  bits: number;
}

export const DEFAULT_POOL = '10.0.0.0/8';
export const DEFAULT_SUBNET_BITS = 24;
/**
 * Podman's default bridge network (10.88.0.0/16), which the default pool skips so a Berth network
 * never collides with the engine's own on a Podman node, and the nodes' tunnel for encrypted
 * overlays (TUNNEL_SUBNET in src/types/network-view.ts), which no network may overlap.
 */
export const RESERVED_SUBNETS = ['10.88.0.0/16', '10.255.0.0/16'];

/** parseIPv4 reads dotted-quad notation; undefined when it is not an IPv4 address. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** parseCidr reads "a.b.c.d/n" and normalises it to its network address (as Go's net.ParseCIDR). */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIPv4(text.slice(0, slash));
  const bitsText = text.slice(slash + 1);
  if (ip === undefined || !/^\d{1,2}$/.test(bitsText) || Number(bitsText) > 32) return undefined;
  const bits = Number(bitsText);
  const size = 2 ** (32 - bits);
  return { base: ip - (ip % size), bits };
}

export function formatCidr(c: Cidr): string {
  return `${formatIPv4(c.base)}/${c.bits}`;
}

const size = (c: Cidr): number => 2 ** (32 - c.bits);

export function contains(c: Cidr, ip: number): boolean {
  return ip >= c.base && ip < c.base + size(c);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

/** defaultGateway is the first host address of the subnet, as Docker's and Podman's IPAM choose it. */
export function defaultGateway(subnet: string): string | undefined {
  const c = parseCidr(subnet);
  if (!c || c.bits > 30) return undefined;
  return formatIPv4(c.base + 1);
}

/**
 * allocateSubnet returns the first /24 of the default pool that overlaps neither a subnet in
 * use nor a reserved one; undefined when the pool is exhausted.
 */
export function allocateSubnet(inUse: readonly string[]): string | undefined {
  const taken = [...inUse, ...RESERVED_SUBNETS].map(parseCidr).filter((c): c is Cidr => c !== undefined);
  const pool = parseCidr(DEFAULT_POOL)!;
  const step = 2 ** (32 - DEFAULT_SUBNET_BITS);
  for (let base = pool.base; base < pool.base + size(pool); base += step) {
    const candidate = { base, bits: DEFAULT_SUBNET_BITS };
    const clash = taken.find((t) => overlaps(t, candidate));
    // Jump past a large taken block at once rather than /24 by /24.
    if (clash) base = Math.max(base, clash.base + size(clash) - step);
    else return formatCidr(candidate);
  }
  return undefined;
}
