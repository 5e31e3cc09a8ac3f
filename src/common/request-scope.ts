// Which objects a request may see and change, when its caller reaches them only through their
// teams (src/access/scope.ts sets it). Routes whose objects are not the path's own — task
// containers and execs, resolved by the API; the event stream; a stack's services, networks,
// secrets and configs — ask it here: the access layer and those routes do not import each other.

import type { Labels } from '../types/index.js';

/** visible says whether objects with these owner labels (a service's) are the caller's to see. */
export type Visible = (labels: Labels | undefined) => boolean;

/**
 * CheckWrite throws as the Engine's create and update routes refuse a team member an object:
 * one their teams do not own, or a service using what is not theirs or reaching the node itself.
 */
export type CheckWrite = (collection: 'services' | 'networks' | 'secrets' | 'configs', spec: { Labels?: Labels }) => void;

const scopes = new WeakMap<object, { visible: Visible; check: CheckWrite }>();

export function limitRequest(request: object, visible: Visible, check: CheckWrite): void {
  scopes.set(request, { visible, check });
}

/** scopeOf is the request's limit, if it has one. */
export function scopeOf(request: object): Visible | undefined {
  return scopes.get(request)?.visible;
}

/** visibleTo is the request's limit; every object is visible to a request without one. */
export function visibleTo(request: object): Visible {
  return scopes.get(request)?.visible ?? (() => true);
}

/** writeCheckOf is the request's write check; a request without a limit may write anything. */
export function writeCheckOf(request: object): CheckWrite {
  return scopes.get(request)?.check ?? (() => undefined);
}
