// Which objects a request may see, when its caller reaches them only through their teams
// (src/access/scope.ts sets it). Routes whose objects live outside the store's collections — task
// containers and execs, resolved by the API, and the event stream — ask it here: the access layer
// and the API do not import each other.

import type { Labels } from '../types/index.js';

/** visible says whether objects with these owner labels (a service's) are the caller's to see. */
export type Visible = (labels: Labels | undefined) => boolean;

const scopes = new WeakMap<object, Visible>();

export function limitRequest(request: object, visible: Visible): void {
  scopes.set(request, visible);
}

/** scopeOf is the request's limit, if it has one. */
export function scopeOf(request: object): Visible | undefined {
  return scopes.get(request);
}

/** visibleTo is the request's limit; every object is visible to a request without one. */
export function visibleTo(request: object): Visible {
  return scopes.get(request) ?? (() => true);
}
