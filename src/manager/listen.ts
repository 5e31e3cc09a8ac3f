// Vetting the manager's listen address.

import { InvalidArgumentError } from '../types/index.js';
import { isLoopback, parseListen, type ListenAddress } from '../common/listen.js';

export { parseListen, type ListenAddress };

/** Plain HTTP (--insecure-api) must not be reachable off this machine: the API can run any container. */
export function assertLoopback(addr: ListenAddress): void {
  const h = addr.host;
  if (!isLoopback(h)) {
    throw new InvalidArgumentError(
      `refusing to listen on ${h || '*'}:${addr.port} without TLS: anyone who reaches it could run containers on your nodes. ` +
        'Leave out --insecure-api (the API then serves TLS and asks for client certificates), or listen on a loopback address such as 127.0.0.1.',
    );
  }
}
