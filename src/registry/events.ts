// One internal emitter for what happens in the registry. Webhooks, metrics, replication and
// quotas subscribe here; the stores and routes only emit. A failing listener is logged and never
// fails the request that caused the event.

import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from '../common/log.js';

/** Who the request being served is from: set around each /v2 handler, read by emit (storage emits too). */
export const requestCaller = new AsyncLocalStorage<{ actor: string; source: string }>();

export interface RegistryEvent {
  /**
   * push, pull, delete: what a request did. quotaExceeded: a push the project's quota refused
   * (with `message`). replicate: the outcome of copying an artifact to or from another registry
   * (with `status`, `remote` and, on failure, `message`), emitted by replication.
   */
  action: 'push' | 'pull' | 'delete' | 'quotaExceeded' | 'replicate';
  /** What the action was on: a blob, a manifest (by digest), or a tag. */
  target: 'blob' | 'manifest' | 'tag';
  repository: string;
  digest: string;
  tag?: string;
  size?: number;
  mediaType?: string;
  /** For a cross-repository mount: where the blob came from. */
  from?: string;
  /** quotaExceeded: why the push was refused; replicate: what went wrong. */
  message?: string;
  /** replicate: whether the copy succeeded. */
  status?: 'succeeded' | 'failed';
  /** replicate: the other registry (its URL and repository). */
  remote?: string;
  /** push, pull, delete: the account the request's token named ('' anonymous), and its address. */
  actor?: string;
  source?: string;
}

export type RegistryListener = (event: RegistryEvent) => void;

/** A request through the admin API that may have changed something (any method but GET and HEAD), and how it ended. */
export interface RegistryAdminActivity {
  method: string;
  /** Without the query string. */
  path: string;
  status: number;
  /** The account the guard named ('' when it was refused before: no or bad credentials). */
  actor: string;
  /** How it authenticated: a password or secret (Basic), a token from /service/token, a platform token or session, or not at all. */
  auth: 'password' | 'token' | 'platform-token' | 'platform-session' | 'none';
  source: string;
  /** The refusal's message. */
  error?: string;
  /** What a create made, as its answer names it. */
  created?: string;
}

export class RegistryEvents {
  readonly #listeners = new Set<RegistryListener>();
  readonly #admin = new Set<(activity: RegistryAdminActivity) => void>();

  constructor(private readonly log: Logger) {}

  /** on subscribes a listener and returns the function that unsubscribes it. */
  on(listener: RegistryListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** onAdmin subscribes to the admin API's changes (the audit log under `berth up`). */
  onAdmin(listener: (activity: RegistryAdminActivity) => void): () => void {
    this.#admin.add(listener);
    return () => this.#admin.delete(listener);
  }

  emitAdmin(activity: RegistryAdminActivity): void {
    for (const listener of this.#admin) {
      try {
        listener(activity);
      } catch (err) {
        this.log.error({ err, activity }, 'registry: an admin activity listener failed');
      }
    }
  }

  emit(event: RegistryEvent): void {
    const caller = requestCaller.getStore();
    if (caller) event = { ...event, actor: caller.actor, source: caller.source };
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (err) {
        this.log.error({ err, event }, 'registry: an event listener failed');
      }
    }
  }
}
