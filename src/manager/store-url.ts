// `berth manager --store`: where the manager keeps its state. `sqlite` (the default) is the file
// state.db in the data directory; `etcd://HOST:PORT[,HOST:PORT...][/PREFIX]` is an etcd cluster,
// over TLS when a CA is given (--etcd-cacert, with --etcd-cert/--etcd-key when etcd asks for a
// client certificate), keys under /PREFIX/ (default /berth/).

import { readFileSync } from 'node:fs';
import type { EtcdBackendOptions } from '../store/index.js';
import { InvalidArgumentError } from '../types/index.js';

export interface EtcdFiles {
  etcdCacert?: string;
  etcdCert?: string;
  etcdKey?: string;
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const PREFIX = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** parseStoreUrl gives the etcd backend's options, or undefined for SQLite. */
export function parseStoreUrl(url: string | undefined, files: EtcdFiles = {}): EtcdBackendOptions | undefined {
  if (url === undefined || url === 'sqlite') {
    if (files.etcdCacert || files.etcdCert || files.etcdKey) throw new InvalidArgumentError('--etcd-cacert, --etcd-cert and --etcd-key go with --store etcd://...');
    return undefined;
  }
  const m = /^etcd:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  if (!m) throw new InvalidArgumentError(`--store ${url}: use sqlite, or etcd://HOST:PORT[,HOST:PORT...][/PREFIX], e.g. etcd://10.0.0.1:2379,10.0.0.2:2379,10.0.0.3:2379`);
  const hosts = m[1]!.split(',');
  for (const h of hosts) {
    const port = Number(HOST_PORT.exec(h)?.[2]);
    if (!port || port > 65535) throw new InvalidArgumentError(`--store ${url}: ${h} is not HOST:PORT (etcd's client port is usually 2379)`);
  }
  const prefix = m[2]?.replace(/\/+$/, '');
  if (prefix !== undefined && prefix !== '' && !PREFIX.test(prefix)) throw new InvalidArgumentError(`--store ${url}: the prefix ${prefix} may hold letters, digits, ".", "_", "-" and "/"`);
  if ((files.etcdCert === undefined) !== (files.etcdKey === undefined)) throw new InvalidArgumentError('give both --etcd-cert FILE and --etcd-key FILE, or neither');
  if (files.etcdCert && !files.etcdCacert) throw new InvalidArgumentError('--etcd-cert needs --etcd-cacert: a client certificate is only sent over TLS');
  const read = (flag: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new InvalidArgumentError(`${flag} ${file}: ${(err as Error).message}`);
    }
  };
  const tls = files.etcdCacert
    ? { ca: read('--etcd-cacert', files.etcdCacert), ...(files.etcdCert && files.etcdKey && { cert: read('--etcd-cert', files.etcdCert), key: read('--etcd-key', files.etcdKey) }) }
    : undefined;
  const scheme = tls ? 'https' : 'http';
  return { endpoints: hosts.map((h) => `${scheme}://${h}`), prefix: prefix ? `/${prefix}/` : '/berth/', ...(tls && { tls }) };
}
