// Vetting the manager's listen address.

import { InvalidArgumentError } from '../types/index.js';
import { isLoopback, parseListen, type ListenAddress } from '../common/listen.js';

export { parseListen, type ListenAddress };

/** Until TLS arrives, the API (which can run any container) must not be reachable off this machine. */
export function assertLoopback(addr: ListenAddress): void {
  const h = addr.host;
  if (!isLoopback(h)) {
    throw new InvalidArgumentError(
      `refusing to listen on ${h || '*'}:${addr.port} without TLS: anyone who reaches it could run containers on your nodes. ` +
        'Listen on a loopback address such as 127.0.0.1 (TLS and remote access arrive with the security work).',
    );
  }
}
