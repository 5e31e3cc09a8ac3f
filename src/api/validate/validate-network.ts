// POST /networks/create: the Engine's NetworkCreateRequest checked for types, then Swarm's rules
// (swarmkit controlapi validateNetworkSpec, moby daemon/cluster/networks.go) and what Berth can
// provide: swarm-scoped `overlay` networks, one IPv4 subnet each. What it cannot provide is
// refused with a message that says what to do instead, never accepted and ignored.

import { BerthError, InvalidArgumentError, NotImplementedError, OVERLAY_MTU, VXLAN_ID_OPTION } from '../../types/index.js';
import type { IPAMConfig, Labels, NetworkSpec } from '../../types/index.js';
import { MTU_OPTION } from '../../common/networks.js';
import { contains, defaultGateway, parseCidr, parseIPv4 } from '../../common/subnets.js';
import { schemaChecker } from './schema-check.js';
import { networkCreateSchema } from './spec-schemas.js';
import { isValidDnsName } from './validate-service.js';

export interface NetworkCreateBody {
  Name?: string;
  CheckDuplicate?: boolean;
  Driver?: string;
  Scope?: string;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  ConfigOnly?: boolean;
  ConfigFrom?: { Network?: string };
  IPAM?: { Driver?: string; Config?: IPAMConfig[]; Options?: Record<string, string> };
  EnableIPv6?: boolean;
  Options?: Record<string, string>;
  Labels?: Labels;
}

const checkStructure = schemaChecker<NetworkCreateBody>('network create request', networkCreateSchema);

/** The Engine's pre-defined local networks (moby IsPredefined): their names are not for users. */
const PREDEFINED = ['bridge', 'host', 'none', 'default'];
/** IPv4's minimum MTU. */
const MIN_MTU = 68;
export const MAX_VNI = 2 ** 24 - 1;
/** The smallest subnet with room for a gateway and tasks. */
const MAX_PREFIX = 29;

/** validateNetworkCreate checks a create body and returns the NetworkSpec to store. */
export function validateNetworkCreate(body: unknown): NetworkSpec {
  const req = checkStructure(body);
  const name = req.Name ?? '';
  if (!name) throw new InvalidArgumentError('invalid network create request: Name is required');
  if (PREDEFINED.includes(name)) {
    // 403 as the Engine answers (notAllowedError).
    throw new BerthError('FORBIDDEN', `${name} is a pre-defined network and cannot be created`);
  }
  if (name.length > 63) throw new InvalidArgumentError(`invalid network name "${name}": name must be 63 characters or fewer`);
  if (!isValidDnsName(name)) {
    throw new InvalidArgumentError(
      `invalid network name "${name}": name must be valid as a DNS name component (only [a-zA-Z0-9][a-zA-Z0-9_-], ending with a letter or digit)`,
    );
  }
  const driver = req.Driver || 'overlay';
  if (driver !== 'overlay') {
    throw new InvalidArgumentError(
      `network driver "${driver}" is not available on a Berth swarm: services attach only to swarm-scoped networks; create it with -d overlay (docker network create -d overlay ${name})`,
    );
  }
  if (req.Scope && req.Scope !== 'swarm') {
    throw new InvalidArgumentError(`invalid scope "${req.Scope}": networks on a Berth swarm are swarm-scoped; leave --scope out or use --scope swarm`);
  }
  if (req.Ingress && req.Attachable) throw new InvalidArgumentError('ingress network cannot be attachable');
  if (req.ConfigOnly || req.ConfigFrom?.Network) {
    throw new NotImplementedError('config-only networks (--config-only, --config-from) are not supported on a Berth swarm: give the settings to the network itself');
  }
  if (req.EnableIPv6) throw new NotImplementedError('IPv6 networks are not supported on a Berth swarm yet: create the network without --ipv6');
  const ipamDriver = req.IPAM?.Driver || 'default';
  if (ipamDriver !== 'default') {
    throw new InvalidArgumentError(`IPAM driver "${ipamDriver}" is not available on a Berth swarm: leave --ipam-driver out to use the default one`);
  }
  const configs = (req.IPAM?.Config ?? []).map(checkIpamConfig);
  if (configs.length > 1) {
    throw new InvalidArgumentError('ipam configuration: a Berth network has one subnet: give --subnet (with --gateway and --ip-range) once');
  }
  if (req.Options) checkDriverOptions(req.Options);
  return {
    Name: name,
    ...(req.Labels && { Labels: req.Labels }),
    DriverConfiguration: { Name: 'overlay', ...(req.Options && { Options: req.Options }) },
    ...(req.Internal && { Internal: true }),
    ...(req.Attachable && { Attachable: true }),
    ...(req.Ingress && { Ingress: true }),
    IPAMOptions: {
      Driver: { Name: 'default', ...(req.IPAM?.Options && { Options: req.IPAM.Options }) },
      ...(configs.length > 0 && { Configs: configs }),
    },
  };
}

/**
 * checkDriverOptions checks the overlay driver's options whose values it reads (others are kept,
 * as Docker's driver ignores what it does not know): `encrypted` takes any value; an MTU and a
 * VXLAN ID must be numbers in range.
 */
function checkDriverOptions(options: Record<string, string>): void {
  const mtu = options[MTU_OPTION];
  if (mtu !== undefined && !(/^\d{1,5}$/.test(mtu) && Number(mtu) >= MIN_MTU && Number(mtu) <= OVERLAY_MTU)) {
    throw new InvalidArgumentError(`invalid option ${MTU_OPTION}=${mtu}: the MTU of an overlay network is a number from ${MIN_MTU} to ${OVERLAY_MTU} (1500 less the VXLAN headers); leave it out for the default`);
  }
  const vni = options[VXLAN_ID_OPTION];
  if (vni !== undefined && parseVni(vni) === undefined) {
    throw new InvalidArgumentError(`invalid option ${VXLAN_ID_OPTION}=${vni}: give one VXLAN ID from 1 to ${MAX_VNI}, or leave it out and Berth chooses one`);
  }
}

/** parseVni reads one VXLAN network identifier (24 bits, 0 excluded). */
export function parseVni(text: string): number | undefined {
  if (!/^\d{1,8}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= MAX_VNI ? n : undefined;
}

/** checkIpamConfig applies swarmkit's validateIPAMConfiguration, worded the same; IPv4 only. */
function checkIpamConfig(c: IPAMConfig): IPAMConfig {
  if (!c.Subnet) throw new InvalidArgumentError('ipam configuration: a subnet is required with --gateway, --ip-range or --aux-address');
  const subnet = parseCidr(c.Subnet);
  if (!subnet) throw new InvalidArgumentError(`ipam configuration: invalid subnet ${c.Subnet} (expected IPv4 CIDR notation such as 10.20.0.0/24)`);
  if (subnet.bits > MAX_PREFIX) {
    throw new InvalidArgumentError(`ipam configuration: subnet ${c.Subnet} is too small: use a /${MAX_PREFIX} or larger`);
  }
  if (c.IPRange) {
    const range = parseCidr(c.IPRange);
    if (!range) throw new InvalidArgumentError(`ipam configuration: invalid range ${c.IPRange}`);
    if (!contains(subnet, range.base) || range.bits < subnet.bits) {
      throw new InvalidArgumentError(`ipam configuration: subnet ${c.Subnet} does not contain range ${c.IPRange}`);
    }
  }
  if (c.Gateway) {
    const gw = parseIPv4(c.Gateway);
    if (gw === undefined) throw new InvalidArgumentError(`ipam configuration: invalid gateway ${c.Gateway}`);
    if (!contains(subnet, gw)) throw new InvalidArgumentError(`ipam configuration: subnet ${c.Subnet} does not contain gateway ${c.Gateway}`);
  }
  for (const [host, addr] of Object.entries(c.AuxiliaryAddresses ?? {})) {
    const ip = parseIPv4(addr);
    if (ip === undefined || !contains(subnet, ip)) {
      throw new InvalidArgumentError(`ipam configuration: auxiliary address ${host}=${addr} is not an IPv4 address in subnet ${c.Subnet}`);
    }
  }
  return c;
}

/** inForce gives the IPAM config a network runs with: the one asked for, gateway defaulted. */
export function inForce(c: IPAMConfig): IPAMConfig {
  return { ...c, Gateway: c.Gateway || defaultGateway(c.Subnet ?? '') };
}
