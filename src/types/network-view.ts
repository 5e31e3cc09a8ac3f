// What a node needs to build the overlay data path, its load balancer and its resolver: the
// manager's view of every network the node takes part in, computed from the store and sent over
// the agent's session (no gossip). Each message replaces the previous one; the agent diffs it
// against what it has applied. See docs/networking.md.

/** Swarm's option naming a network's VXLAN ID (Network.DriverState.Options, `docker network inspect`). */
export const VXLAN_ID_OPTION = 'com.docker.network.driver.overlay.vxlanid_list';
/** The overlay driver option that asks for IPsec between hosts (`docker network create --opt encrypted`). */
export const ENCRYPTED_OPTION = 'encrypted';
/** VXLAN's IANA port, as Swarm's default data path port. */
export const VXLAN_PORT = 4789;
/** Inside VXLAN over a 1500-byte underlay: 50 bytes of outer Ethernet, IP, UDP and VXLAN headers. */
export const OVERLAY_MTU = 1450;
/** An encrypted overlay also carries ESP (header, IV, padding, trailer, ICV: at most 42 bytes for AES-GCM), rounded down. */
export const ENCRYPTED_OVERLAY_MTU = 1400;
/** Service label: `local` keeps the client's source address for ingress connections landing on a node with a task (docs/networking.md). */
export const INGRESS_POLICY_LABEL = 'berth.ingress.policy';

export interface NetworkViewMessage {
  type: 'network-view';
  networks: NodeNetworkView[];
  /** IPsec keys for encrypted networks, newest first; absent when no network is encrypted. */
  keys?: OverlayKey[];
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
  /** Endpoints on other nodes (tasks and those nodes' own addresses), reached over VXLAN at `node`. */
  peers: OverlayPeer[];
  /** Services with tasks on the network: what the load balancer and the resolver serve. */
  services: ServiceEndpointView[];
  /** The tasks attached to the network, on any node: names and addresses for the resolver. */
  tasks: TaskEndpointView[];
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

/** An IPsec key the manager generated for encrypted overlays; the agent derives per-peer SAs from it. */
export interface OverlayKey {
  /** Hex, 36 bytes: a 32-byte AES-256 key and a 4-byte salt, for rfc4106(gcm(aes)). */
  key: string;
  /** Which key this is (numbers only grow), from which the SPI is derived. */
  serial: number;
}
