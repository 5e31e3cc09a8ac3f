// What a node needs to build the overlay data path, its load balancer and its resolver: the
// manager's view of every network the node takes part in, computed from the store and sent over
// the agent's session (no gossip). Each message replaces the previous one; the agent diffs it
// against what it has applied. See docs/networking.md.

/** Swarm's option naming a network's VXLAN ID (Network.DriverState.Options, `docker network inspect`). */
export const VXLAN_ID_OPTION = 'com.docker.network.driver.overlay.vxlanid_list';
/** The overlay driver option that asks for encryption between hosts (`docker network create --opt encrypted`). */
export const ENCRYPTED_OPTION = 'encrypted';
/** VXLAN's IANA port, as Swarm's default data path port. */
export const VXLAN_PORT = 4789;
/**
 * Encrypted networks' VXLAN port, inside the tunnel. The kernel hands a VXLAN packet to the device
 * with its VNI whatever address it was sent to, so on 4789 a cleartext packet sent to a node's
 * underlay address would enter an encrypted network (moby's CVE-2023-28840); on a port of their
 * own, the node's firewall drops what did not come through the tunnel (src/agent/overlay/tunnel-guard.ts).
 */
export const ENCRYPTED_VXLAN_PORT = 4790;
/** Inside VXLAN over a 1500-byte underlay: 50 bytes of outer Ethernet, IP, UDP and VXLAN headers. */
export const OVERLAY_MTU = 1450;
/**
 * An encrypted overlay's VXLAN runs inside the nodes' WireGuard tunnel, which adds 60 bytes
 * (outer IPv4 20, UDP 8, WireGuard 32) under VXLAN's 50.
 */
export const ENCRYPTED_OVERLAY_MTU = 1390;
/** The tunnel interface's MTU: a 1500-byte underlay less WireGuard's 60 bytes. */
export const TUNNEL_MTU = 1440;
/** WireGuard's customary port, where every node's tunnel listens. */
export const TUNNEL_PORT = 51820;
/** Where nodes' tunnel addresses come from (never an overlay subnet: src/common/subnets.ts reserves it). */
export const TUNNEL_SUBNET = '10.255.0.0/16';
/** Service label: `local` keeps the client's source address for ingress connections landing on a node with a task (docs/networking.md). */
export const INGRESS_POLICY_LABEL = 'berth.ingress.policy';

export interface NetworkViewMessage {
  type: 'network-view';
  /** This node's underlay address as its peers reach it (Node.Status.Addr): where its plain overlays' VXLAN sends from. */
  address: string;
  networks: NodeNetworkView[];
  /**
   * The encrypted tunnel between this node and the nodes it shares an encrypted network with;
   * absent when it shares none. Encrypted networks' VXLAN runs between tunnel addresses.
   */
  tunnel?: TunnelView;
}

export interface TunnelView {
  /** This node's address inside the tunnel, no prefix (from TUNNEL_SUBNET). */
  address: string;
  peers: TunnelPeer[];
}

export interface TunnelPeer {
  /** The peer's underlay address (its advertise address), where its tunnel listens on TUNNEL_PORT. */
  node: string;
  /** The peer's address inside the tunnel, no prefix. */
  address: string;
  /** The peer's WireGuard public key (base64 of 32 bytes), which it sent in its hello. */
  publicKey: string;
}

/** One overlay network as one node sees it. */
export interface NodeNetworkView {
  id: string;
  name: string;
  /** VXLAN network identifier. */
  vni: number;
  /** CIDR, e.g. 10.0.1.0/24. */
  subnet: string;
  /** The gateway address: every node's bridge holds it, and the node's resolver answers on it. */
  gateway: string;
  mtu: number;
  internal: boolean;
  ingress: boolean;
  attachable: boolean;
  encrypted: boolean;
  /** This node's own address on the network (no prefix): the source of traffic it NATs, owner of its bridge's MAC. */
  localAddress: string;
  /**
   * Endpoints on other nodes (tasks and those nodes' own addresses), reached over VXLAN at
   * `node`: the node's underlay address, or on an encrypted network its tunnel address.
   */
  peers: OverlayPeer[];
  /** Services with tasks on the network: what the load balancer and the resolver serve. */
  services: ServiceEndpointView[];
  /** The tasks attached to the network, on any node: names and addresses for the resolver. */
  tasks: TaskEndpointView[];
  /** Attachable networks: the block (CIDR) this node's engine hands plain containers addresses from; absent when none could be given. */
  attachableRange?: string;
  /** Plain containers attached to the network on any node (attachable networks): names for the resolver. */
  containers: ContainerEndpointView[];
}

export interface ContainerEndpointView {
  name: string;
  /** Overlay address, no prefix. */
  ip: string;
  nodeId: string;
}

export interface OverlayPeer {
  /** Overlay address, no prefix. */
  ip: string;
  mac: string;
  /** The underlay address of the node that holds it (its advertise address). */
  node: string;
}

export interface ServiceEndpointView {
  id: string;
  /** The service's name (a stack's services are STACK_NAME). */
  name: string;
  /** More names the service answers to on this network: its network aliases (a stack's service name). */
  aliases: string[];
  /** Endpoint mode vip: the service's virtual IP on this network, no prefix. Absent in dnsrr mode. */
  vip?: string;
  /** Ingress network only: the ports published in ingress mode, answered on every node. */
  ports: { protocol: 'tcp' | 'udp'; published: number; target: number }[];
  /** Ingress ports: `local` sends connections landing on a node with a running task to those tasks only, keeping the client's address. */
  ingressPolicy?: 'local';
  /** Overlay addresses (no prefix) of its tasks that receive new connections: running (healthy), desired running. */
  backends: string[];
}

export interface TaskEndpointView {
  id: string;
  serviceId: string;
  /** `<service>.<slot or node id>.<task id>`, as Swarm names task containers. */
  name: string;
  /** Overlay address, no prefix. */
  ip: string;
  nodeId: string;
}
