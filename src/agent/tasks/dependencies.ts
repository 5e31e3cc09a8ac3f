// The secrets and configs (with their data) the manager sent for the tasks this node holds, and
// the registry logins its tasks pull with. A complete assignment replaces the set; an incremental
// one adds to it; whatever no held task references any more is forgotten, so a secret's data
// stays on a node only while it is needed.

import type { Config, Secret, Task, TaskPullAuth } from '../../types/index.js';

export class Dependencies {
  readonly #secrets = new Map<string, Secret>();
  readonly #configs = new Map<string, Config>();
  readonly #pullAuths = new Map<string, TaskPullAuth>();

  /** receive takes the objects of one assignments message; a complete one replaces what was held. */
  receive(full: boolean, secrets: readonly Secret[] = [], configs: readonly Config[] = [], pullAuths: readonly TaskPullAuth[] = []): void {
    if (full) {
      this.#secrets.clear();
      this.#configs.clear();
      this.#pullAuths.clear();
    }
    for (const s of secrets) if (s && typeof s.ID === 'string') this.#secrets.set(s.ID, s);
    for (const c of configs) if (c && typeof c.ID === 'string') this.#configs.set(c.ID, c);
    for (const p of pullAuths) if (p && typeof p.taskId === 'string' && typeof p.auth === 'string') this.#pullAuths.set(p.taskId, p);
  }

  /** prune forgets every object none of `held` references. */
  prune(held: readonly Task[]): void {
    const secrets = new Set<string>();
    const configs = new Set<string>();
    for (const t of held) {
      for (const r of t.Spec.ContainerSpec?.Secrets ?? []) if (r.SecretID) secrets.add(r.SecretID);
      for (const r of t.Spec.ContainerSpec?.Configs ?? []) if (r.ConfigID) configs.add(r.ConfigID);
    }
    for (const id of this.#secrets.keys()) if (!secrets.has(id)) this.#secrets.delete(id);
    for (const id of this.#configs.keys()) if (!configs.has(id)) this.#configs.delete(id);
    const tasks = new Set([...held].map((t) => t.ID));
    for (const id of this.#pullAuths.keys()) if (!tasks.has(id)) this.#pullAuths.delete(id);
  }

  /** pullAuth: the login task `taskId` pulls its image with, if the manager sent one. */
  pullAuth(taskId: string): TaskPullAuth | undefined {
    return this.#pullAuths.get(taskId);
  }

  secret(id: string): Secret | undefined {
    return this.#secrets.get(id);
  }

  config(id: string): Config | undefined {
    return this.#configs.get(id);
  }

  /** Counts, for tests and diagnostics: never the data. */
  get size(): { secrets: number; configs: number } {
    return { secrets: this.#secrets.size, configs: this.#configs.size };
  }
}
