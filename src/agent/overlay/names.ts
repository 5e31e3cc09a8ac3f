// The kernel names of a network's data path on a node, derived from its VXLAN ID alone, so an
// agent restarted finds what it made: bridge `bo<VNI>`, VXLAN device `bx<VNI>` (at most 10
// characters; the kernel allows 15). Both carry the alias `berth-overlay:<network id>`: only
// devices with it are ever changed or removed.

export const MAX_VNI = 2 ** 24 - 1;
export const ALIAS_PREFIX = 'berth-overlay:';

export function bridgeName(vni: number): string {
  return `bo${vni}`;
}

export function vxlanName(vni: number): string {
  return `bx${vni}`;
}

export function aliasFor(networkId: string): string {
  return `${ALIAS_PREFIX}${networkId}`;
}
