// Swarm's autolock for the manager's data dir. Off, the store key (which seals secrets at rest)
// and the root CA key are plain files, mode 0600. On, both live only in one sealed file under an
// unlock key the operator holds: a manager started with it stays locked until given the key.
// The key is in no file: the store keeps it (a sealed row, as Swarm keeps it in Raft), so every
// manager seals its own files with the same key (autolock-sync.ts), and a locked manager learns
// the current one from the store once the operator's key has opened its files.
//
// One sealed file for both keys, so each change is one atomic rename. When a change is cut short
// both forms can be on disk: all plain files present win (turning autolock on had not finished,
// so the operator may not have the key; turning it off had written them all), otherwise the
// sealed file does.

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { rootWithKey, loadOrCreateRoot, NEXT_ROOT_KEY_FILE, plainKeys, ROOT_KEY_FILE, type RootCA, type RootKeyStore } from '../ca/index.js';
import { loadStoreKey, parseStoreKey, seal, shredFile, STORE_KEY_FILE, unseal, type Store } from '../store/index.js';
import { writeFileAtomic } from '../common/files.js';
import { InvalidArgumentError, MANAGER_UNLOCK_KEY_ID, UnavailableError } from '../types/index.js';

const CERT_DIR = 'certificates';
/** The key files autolock seals, relative to the data dir; during a root rotation the next root's key too. */
const KEY_FILES = [STORE_KEY_FILE, join(CERT_DIR, ROOT_KEY_FILE)];
const OPTIONAL_KEY_FILES = [join(CERT_DIR, NEXT_ROOT_KEY_FILE)];
export const SEALED_FILE = 'keys.sealed';

export class Autolock implements RootKeyStore {
  /** The key files' contents while sealed. */
  #files: Map<string, string> | undefined;
  #unlockKey = '';

  private constructor(private readonly dataDir: string) {}

  /** locked tells whether the data dir's keys are sealed, so that the manager must be unlocked before it starts. */
  static locked(dataDir: string): boolean {
    return existsSync(join(dataDir, SEALED_FILE)) && !KEY_FILES.every((f) => existsSync(join(dataDir, f)));
  }

  /** off is autolock for a data dir whose keys are plain files; a sealed file left by a change cut short goes. */
  static off(dataDir: string): Autolock {
    rmSync(join(dataDir, SEALED_FILE), { force: true });
    return new Autolock(dataDir);
  }

  /** unseal opens the sealed keys with the operator's key (WrongUnlockKeyError for another key). */
  static unseal(dataDir: string, unlockKey: string): Autolock {
    const path = join(dataDir, SEALED_FILE);
    const plain = unseal(readFileSync(path, 'utf8'), unlockKey, path);
    let files: Record<string, unknown>;
    try {
      files = JSON.parse(plain.toString('utf8')) as Record<string, unknown>;
    } catch {
      files = {};
    }
    if (!KEY_FILES.every((f) => typeof files[f] === 'string')) throw new UnavailableError(`${path} decrypts but does not hold ${KEY_FILES.join(' and ')}; restore it from a backup of the data dir`);
    const lock = new Autolock(dataDir);
    lock.#files = new Map([...KEY_FILES, ...OPTIONAL_KEY_FILES].filter((f) => typeof files[f] === 'string').map((f) => [f, files[f] as string]));
    // Without the whitespace a terminal or a file adds, as the key is shown back.
    lock.#unlockKey = unlockKey.trim();
    // Plain copies that a change cut short left behind (turning autolock off had written some).
    for (const [f, text] of lock.#files) {
      const leftover = join(dataDir, f);
      if (existsSync(leftover) && readFileSync(leftover, 'utf8') === text) shredFile(leftover);
    }
    return lock;
  }

  get on(): boolean {
    return this.#files !== undefined;
  }

  /** The unlock key, '' when autolock is off. */
  get unlockKey(): string {
    return this.#unlockKey;
  }

  /** enable seals the keys under the cluster's unlock key and removes the plain files. */
  enable(key: string): void {
    if (this.on) return;
    const present = [...KEY_FILES, ...OPTIONAL_KEY_FILES.filter((f) => existsSync(join(this.dataDir, f)))];
    const files = new Map(present.map((f) => [f, readFileSync(join(this.dataDir, f), 'utf8')]));
    this.#seal(files, key);
    for (const f of present) shredFile(join(this.dataDir, f));
    this.#files = files;
    this.#unlockKey = key;
  }

  /** disable writes the keys back as plain files and removes the sealed one. */
  disable(): void {
    if (!this.#files) return;
    for (const [f, text] of this.#files) writeFileAtomic(join(this.dataDir, f), text, 0o600);
    rmSync(join(this.dataDir, SEALED_FILE), { force: true });
    this.#files = undefined;
    this.#unlockKey = '';
  }

  /** rotate seals the keys under the cluster's new unlock key: from then on only it unlocks the manager. */
  rotate(key: string): void {
    if (!this.#files) throw new InvalidArgumentError('cannot rotate the unlock key because autolock is not turned on: turn it on with `docker swarm update --autolock=true`');
    this.#seal(this.#files, key);
    this.#unlockKey = key;
  }

  /** storeKey gives the key that seals secrets at rest: from its plain file (made on first start) or the sealed one. */
  storeKey(): Buffer {
    if (!this.#files) return loadStoreKey(this.dataDir);
    return parseStoreKey(this.#files.get(STORE_KEY_FILE)!, `${STORE_KEY_FILE} in ${SEALED_FILE}`);
  }

  /** root gives the root CA: from the plain files (made on first start) or with the sealed key. */
  async root(): Promise<RootCA> {
    const certDir = join(this.dataDir, CERT_DIR);
    if (!this.#files) return (await loadOrCreateRoot(certDir)).root;
    return rootWithKey(certDir, this.#files.get(join(CERT_DIR, ROOT_KEY_FILE))!);
  }

  // The root keys, as a root rotation reads and writes them: sealed while autolock is on.
  read(name: string): string | undefined {
    return this.#files ? this.#files.get(join(CERT_DIR, name)) : plainKeys(join(this.dataDir, CERT_DIR)).read(name);
  }

  write(name: string, pem: string): void {
    if (!this.#files) return plainKeys(join(this.dataDir, CERT_DIR)).write(name, pem);
    this.#files.set(join(CERT_DIR, name), pem);
    this.#seal(this.#files, this.#unlockKey);
  }

  remove(name: string): void {
    if (!this.#files) return plainKeys(join(this.dataDir, CERT_DIR)).remove(name);
    if (this.#files.delete(join(CERT_DIR, name))) this.#seal(this.#files, this.#unlockKey);
  }

  #seal(files: Map<string, string>, key: string): void {
    writeFileAtomic(join(this.dataDir, SEALED_FILE), seal(Buffer.from(JSON.stringify(Object.fromEntries(files))), key), 0o600);
  }
}

/**
 * adoptAutolock is the leader's start: the stored key and the spec agree. A data dir sealed
 * before the key was kept in the store (one manager, earlier Berth) gives the store its key.
 */
export function adoptAutolock(store: Store, local: { on: boolean; unlockKey: string }): void {
  store.update((tx) => {
    const cluster = tx.cluster();
    if (!cluster) return;
    let stored = tx.managerUnlockKeys.get(MANAGER_UNLOCK_KEY_ID);
    if (!stored && local.on) stored = tx.managerUnlockKeys.create({ ID: MANAGER_UNLOCK_KEY_ID, Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Key: local.unlockKey });
    if ((cluster.Spec.EncryptionConfig?.AutoLockManagers ?? false) === !!stored) return;
    tx.clusters.update({ ...cluster, Spec: { ...cluster.Spec, EncryptionConfig: { AutoLockManagers: !!stored } } });
  });
}
