// The cluster CA over a real store: joining with tokens and CSRs, refusals that name the cause
// and leave nothing behind, renewal, and what the certificates say.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { certificateRequest, identityOf, newKeyPair, rootDigest } from '../common/pki.js';
import { joinToken } from '../common/tokens.js';
import { x509 } from '../common/x509.js';
import { startDispatcher } from '../../test/helpers/dispatcher.js';
import { createRootCA } from './root.js';

test('a join gives a 90-day certificate naming the node, its role and the cluster, signed by the root', async (t) => {
  const h = await startDispatcher(t);
  const keys = await newKeyPair();
  const issued = await h.ca.join({ token: h.workerToken(), csr: await certificateRequest(keys, 'i-ask-for-admin'), hostname: 'w1' }, '10.0.0.5');
  const cert = new X509Certificate(issued.certificate);
  const cluster = h.store.view((tx) => tx.cluster()!);
  assert.deepEqual(identityOf(cert.subject), { commonName: issued.nodeId, role: 'swarm-worker', cluster: cluster.ID }, 'the CA sets the subject, not the CSR');
  assert.ok(cert.verify(new X509Certificate(h.root.certPem).publicKey));
  const days = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
  assert.ok(days > 89 && days <= 90, `${days} days`);
  assert.equal(issued.rootCA, h.root.certPem);
  const node = h.store.view((tx) => tx.nodes.get(issued.nodeId))!;
  assert.equal(node.Description.Hostname, 'w1');
  assert.equal(node.Status.Addr, '10.0.0.5');
  assert.equal(node.Certificate?.Serial, cert.serialNumber.toLowerCase());
  assert.equal(node.Certificate?.State, 'issued');
});

test('bad tokens and bad CSRs are refused with the cause, and nothing is half-registered', async (t) => {
  const h = await startDispatcher(t);
  const csr = await certificateRequest(await newKeyPair());
  const other = joinToken((await createRootCA()).certPem);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaCsr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=x',
    keys: { privateKey: await crypto.subtle.importKey('pkcs8', rsa.privateKey.export({ type: 'pkcs8', format: 'der' }), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['sign']), publicKey: await crypto.subtle.importKey('spki', rsa.publicKey.export({ type: 'spki', format: 'der' }), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['verify']) },
    signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5' },
  });
  const der = Buffer.from(new x509.Pkcs10CertificateRequest(csr).rawData);
  const asPem = (bytes: Buffer): string => `-----BEGIN CERTIFICATE REQUEST-----\n${bytes.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
  // The same request cut short (a DER structure that ends early), and with one signature byte flipped.
  const truncated = asPem(der.subarray(0, der.length - 24));
  const flipped = Buffer.from(der);
  flipped[flipped.length - 3] = flipped[flipped.length - 3]! ^ 0xff;
  const forged = asPem(flipped);
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ csr }, /send "token"/],
    [{ token: 'SWMTKN-1-short', csr }, /not in the form SWMTKN-1-<digest>-<secret>/],
    [{ token: other, csr }, /CA digest does not match this cluster's root CA/],
    [{ token: h.workerToken().slice(0, -3) + 'zzz', csr }, /not the current worker token/],
    [{ token: h.managerToken(), csr }, /this cluster keeps its state in SQLite, for one manager/],
    [{ token: h.workerToken() }, /invalid CSR: send "csr"/],
    [{ token: h.workerToken(), csr: 'garbage' }, /invalid CSR: it does not parse/],
    [{ token: h.workerToken(), csr: truncated }, /invalid CSR/],
    [{ token: h.workerToken(), csr: 'x'.repeat(100_000) }, /larger than 8192 bytes/],
    [{ token: h.workerToken(), csr: rsaCsr.toString('pem') }, /key must be ECDSA P-256 \(got RSASSA-PKCS1-v1_5\)/],
    [{ token: h.workerToken(), csr: forged }, /invalid CSR/],
  ];
  for (const [body, message] of cases) await assert.rejects(h.ca.join(body, '10.0.0.9'), message, JSON.stringify(body).slice(0, 80));
  assert.equal(h.store.view((tx) => tx.nodes.count()), 0);
  assert.equal(rootDigest(h.root.certPem).length, 50);
});

test('a replayed join makes no second node; renewal keeps the node and replaces the key', async (t) => {
  const h = await startDispatcher(t);
  const body = { token: h.workerToken(), csr: await certificateRequest(await newKeyPair()), hostname: 'w1' };
  const first = await h.ca.join(body, '10.0.0.5');
  await assert.rejects(h.ca.join(body, '10.0.0.6'), /has already joined the cluster as node/);
  assert.equal(h.store.view((tx) => tx.nodes.count()), 1);

  const cluster = h.store.view((tx) => tx.cluster()!.ID);
  const peer = { commonName: first.nodeId, role: 'swarm-worker', cluster };
  const renewed = await h.ca.renew(peer, { csr: await certificateRequest(await newKeyPair()) });
  assert.equal(renewed.nodeId, first.nodeId);
  assert.notEqual(new X509Certificate(renewed.certificate).serialNumber, new X509Certificate(first.certificate).serialNumber);
  assert.equal(h.store.view((tx) => tx.nodes.get(first.nodeId)!.Certificate?.Serial), new X509Certificate(renewed.certificate).serialNumber.toLowerCase());

  await assert.rejects(h.ca.renew({ ...peer, cluster: 'another' }, { csr: await certificateRequest(await newKeyPair()) }), /not this one/);
  h.store.update((tx) => tx.nodes.delete(first.nodeId));
  await assert.rejects(h.ca.renew(peer, { csr: await certificateRequest(await newKeyPair()) }), /was removed from the cluster/);
});
