// Real test hosts on one machine: network namespaces on a test bridge, each with its own
// address, Podman engine and processes. See docs/testing.md.

export { createTestNetwork, TestNetwork, type TestNetworkOptions } from './network.js';
export { TestHost, type ExecOptions, type HostEngine } from './host.js';
export { saveImage } from './images.js';
export type { CommandResult } from './script.js';
export { startHostEtcd } from './etcd.js';
