// Where the root CA's private keys live: plain files (mode 0600) in the certificates dir, or —
// under autolock — only inside the manager's sealed key file. The rotation writes the next
// root's key and promotes it through this, so autolock never sees a key in the clear.

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../common/files.js';

export interface RootKeyStore {
  /** The PEM of the key `name` (a file name in the certificates dir), if there is one. */
  read(name: string): string | undefined;
  write(name: string, pem: string): void;
  remove(name: string): void;
}

/** plainKeys keeps the keys as files in `dir`. */
export function plainKeys(dir: string): RootKeyStore {
  return {
    read: (name) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : undefined),
    write: (name, pem) => writeFileAtomic(join(dir, name), pem, 0o600),
    remove: (name) => rmSync(join(dir, name), { force: true }),
  };
}
