// API versioning as the Engine does it: every path may carry a /v1.NN prefix; the server
// answers any version from MIN_API_VERSION to API_VERSION with the same (1.41) behaviour.

import { InvalidArgumentError } from '../../types/index.js';

export const API_VERSION = '1.41';
export const MIN_API_VERSION = '1.24';

const PREFIX_RE = /^\/v(\d+\.\d+)(?=\/)/;

/** stripVersion removes a /v1.NN prefix from a request URL. */
export function stripVersion(url: string): string {
  return url.replace(PREFIX_RE, '');
}

/** checkVersion throws when the URL asks for a version outside the supported range. */
export function checkVersion(url: string): void {
  const requested = PREFIX_RE.exec(url)?.[1];
  if (requested === undefined) return;
  if (compare(requested, API_VERSION) > 0) {
    throw new InvalidArgumentError(`client version ${requested} is too new. Maximum supported API version is ${API_VERSION}`);
  }
  if (compare(requested, MIN_API_VERSION) < 0) {
    throw new InvalidArgumentError(`client version ${requested} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
  }
}

function compare(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}
