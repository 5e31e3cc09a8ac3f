// The registry's certificate from the cluster CA: what it names, that the running registry serves
// it over verified TLS with an https token realm, and that renewals are swapped in without a
// restart. A real CA over a real store, a real registry, real TLS clients.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { silentLogger } from '../common/log.js';
import { Registry } from '../registry/index.js';
import { startDispatcher } from '../../test/helpers/dispatcher.js';
import { registryAddresses, registryCertificate, type ServingCertificate } from './registry-tls.js';

/** The serial of the certificate a new TLS connection is served, verified against `ca`. */
function servedSerial(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca }, () => {
      resolve(socket.getPeerX509Certificate()!.serialNumber);
      socket.end();
    });
    socket.on('error', reject);
  });
}

test('the registry serves the cluster CA\'s certificate over verified TLS, with an https realm, and each renewal from the next handshake on', async (t) => {
  const h = await startDispatcher(t);
  const clusterId = h.store.view((tx) => tx.cluster()!.ID);
  // Three seconds of validity: the renewal point (50–80% of the life) comes within about two.
  const cert = await registryCertificate({ ca: h.ca, clusterId, names: ['127.0.0.1', 'localhost', '10.9.8.7'], log: silentLogger(), validityMs: 3000 });
  const first = new X509Certificate(cert.first.cert);
  assert.ok(first.verify(new X509Certificate(h.root.certPem).publicKey), 'signed by the cluster root');
  assert.match(first.subject, new RegExp(`CN=registry\\.${clusterId}`));
  assert.equal(first.subjectAltName, 'IP Address:127.0.0.1, DNS:localhost, IP Address:10.9.8.7');

  const dir = await mkdtemp(join(tmpdir(), 'berth-registry-tls-'));
  const registry = await Registry.start({ dataDir: dir, listen: '127.0.0.1:0', log: silentLogger(), tls: cert.first, adminPassword: 'Berth-test-1' });
  t.after(async () => {
    cert.stop();
    await registry.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const port = Number(registry.address.split(':')[1]);
  assert.equal(await servedSerial(port, h.root.certPem), first.serialNumber);
  const challenge = await new Promise<string | undefined>((resolve, reject) =>
    request({ host: '127.0.0.1', port, path: '/v2/', ca: h.root.certPem }, (res) => {
      res.resume();
      resolve(res.headers['www-authenticate']);
    })
      .on('error', reject)
      .end(),
  );
  assert.match(challenge ?? '', new RegExp(`^Bearer realm="https://127\\.0\\.0\\.1:${port}/service/token"`));

  const renewed: ServingCertificate[] = [];
  cert.renewals((next) => {
    registry.setCertificate(next);
    renewed.push(next);
  });
  for (let i = 0; renewed.length === 0; i++) {
    assert.ok(i < 500, 'a renewal within 5 s');
    await new Promise((r) => setTimeout(r, 10));
  }
  cert.stop();
  const last = new X509Certificate(renewed.at(-1)!.cert);
  assert.notEqual(last.serialNumber, first.serialNumber);
  assert.notEqual(renewed.at(-1)!.key, cert.first.key, 'a new key each time');
  assert.equal(await servedSerial(port, h.root.certPem), last.serialNumber, 'the running registry serves the renewed certificate');
});

test('agents name the registry by its certificate\'s names with the port, but loopback ones', () => {
  assert.deepEqual(registryAddresses(['localhost', 'mgr', '127.0.0.1', '::1', '10.0.0.5', 'fd00::5'], 5000), ['mgr:5000', '10.0.0.5:5000', '[fd00::5]:5000']);
});
