// One MAC address per overlay address, derived as Docker's overlay driver derives it (02:42 and
// the IPv4 address): every node computes the same MAC for a peer without asking anyone.

export function macForAddress(ip: string): string {
  const octets = ip.split('/')[0]!.split('.').map((o) => Number(o));
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return ['02', '42', ...octets.map((o) => o.toString(16).padStart(2, '0'))].join(':');
}
