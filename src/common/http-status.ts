// The HTTP status of each domain error code, for Berth's HTTP edges: the Engine API and the
// registry's admin API (errors are typed everywhere else).

import type { ErrorCode } from '../types/index.js';

export const HTTP_STATUS: Record<ErrorCode, number> = {
  NOT_FOUND: 404,
  NAME_CONFLICT: 409,
  VERSION_CONFLICT: 409,
  CONFLICT: 409,
  INVALID_ARGUMENT: 400,
  AMBIGUOUS: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  TOO_MANY_REQUESTS: 429,
  UNAVAILABLE: 503,
  NOT_LEADER: 503,
  NOT_IMPLEMENTED: 501,
};
