// The node's WireGuard key pair: X25519, made on first use and kept in the agent's data dir
// (0600), so the public key the manager holds stays valid across agent restarts. The private
// key never leaves the file: `wg set private-key FILE` reads it there.

import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isWireGuardKey } from '../../common/wireguard-key.js';

export const TUNNEL_KEY_FILE = 'tunnel.key';

/** PKCS#8 DER of an X25519 private key, before its 32 raw bytes (RFC 8410). */
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');

export interface TunnelKeys {
  /** The private key's file (base64 and a newline, as `wg genkey` writes it). */
  file: string;
  /** base64 of 32 bytes. */
  publicKey: string;
}

function publicKeyOf(privateKey: Buffer): string {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_X25519, privateKey]), format: 'der', type: 'pkcs8' });
  return Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x!, 'base64url').toString('base64');
}

function generate(): Buffer {
  const { privateKey } = generateKeyPairSync('x25519');
  const raw = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  // Clamped as `wg genkey` does (and the kernel on `wg set`), so every tool shows the same key.
  raw[0]! &= 248;
  raw[31]! &= 127;
  raw[31]! |= 64;
  return raw;
}

/** loadTunnelKeys reads the node's key pair from dataDir, making it on first use. */
export async function loadTunnelKeys(dataDir: string): Promise<TunnelKeys> {
  const file = join(dataDir, TUNNEL_KEY_FILE);
  let text: string | undefined;
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text === undefined) {
    text = generate().toString('base64');
    const tmp = `${file}.tmp`;
    // Left by a crash mid-write: never holds a key in use.
    await rm(tmp, { force: true });
    await writeFile(tmp, `${text}\n`, { mode: 0o600, flag: 'wx' });
    await rename(tmp, file);
  }
  if (!isWireGuardKey(text)) throw new Error(`${file} does not hold a WireGuard private key: remove it and restart the agent to make a new one`);
  return { file, publicKey: publicKeyOf(Buffer.from(text, 'base64')) };
}
