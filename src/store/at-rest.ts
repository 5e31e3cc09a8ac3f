// Encryption at rest for the kinds whose stored form holds secret material, those defined
// `sealed` (secrets' data, registry passwords and their hashes, services' X-Registry-Auth,
// remote registry endpoints' passwords, webhook signing keys):
// AES-256-GCM per row, so the SQLite file and its WAL never hold a secret in the clear. Memory
// holds plain objects; only the persisted form is sealed.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const PREFIX = 'aes256gcm:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class AtRest {
  constructor(private readonly key: Buffer | undefined) {
    if (key && key.length !== 32) throw new Error('store: the encryption key must be 32 bytes');
  }

  /** seal returns the form of a row to write: encrypted when its kind is sealed and a key is set. */
  seal(kind: string, sealed: boolean, json: string): string {
    if (!this.key || !sealed) return json;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    // The kind is authenticated too, so a sealed row cannot be replayed as another kind.
    cipher.setAAD(Buffer.from(kind));
    const body = Buffer.concat([cipher.update(json, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  /** open returns a stored row's JSON, decrypting it if it was sealed. */
  open(kind: string, data: string): string {
    if (!data.startsWith(PREFIX)) return data;
    if (!this.key) throw new Error(`store: a ${kind} row is encrypted and no key was given; start with the data dir's store.key`);
    const raw = Buffer.from(data.slice(PREFIX.length), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(kind));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new Error(`store: a ${kind} row does not decrypt with this key; is store.key the one this data dir was created with?`);
    }
  }
}
