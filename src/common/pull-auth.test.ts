import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RegistryCredential, ServiceRegistryAuth } from '../types/index.js';
import { choosePullAuth, decodeAuth, encodeAuth, normalizeRegistry, registryOf, type PullAuthSources } from './pull-auth.js';

test('registryOf follows docker reference rules', () => {
  assert.equal(registryOf('busybox'), 'docker.io');
  assert.equal(registryOf('library/busybox:1'), 'docker.io');
  assert.equal(registryOf('index.docker.io/library/busybox'), 'docker.io');
  assert.equal(registryOf('localhost/app:1'), 'localhost');
  assert.equal(registryOf('127.0.0.1:5000/team/app:1'), '127.0.0.1:5000');
  assert.equal(registryOf('Registry.Example.com/app@sha256:abc'), 'registry.example.com');
  assert.equal(registryOf('team/app'), 'docker.io');
});

test('normalizeRegistry accepts hosts and URLs, refuses junk', () => {
  assert.equal(normalizeRegistry('https://index.docker.io/v1/'), 'docker.io');
  assert.equal(normalizeRegistry('127.0.0.1:5000'), '127.0.0.1:5000');
  assert.equal(normalizeRegistry('Registry.Example.com'), 'registry.example.com');
  assert.equal(normalizeRegistry(''), undefined);
  assert.equal(normalizeRegistry('bad host'), undefined);
  assert.equal(normalizeRegistry('host:port'), undefined);
});

test('decodeAuth reads what encodeAuth writes and the CLI sends, and refuses garbage', () => {
  const enc = encodeAuth({ username: 'u', password: 'p?>', serveraddress: 'r:1' });
  assert.match(enc, /^[A-Za-z0-9_-]+=*$/);
  assert.equal(enc.length % 4, 0, 'padded, as Go decodes it');
  assert.deepEqual(decodeAuth(enc), { username: 'u', password: 'p?>', serveraddress: 'r:1' });
  assert.deepEqual(decodeAuth(Buffer.from('{"username":"u","email":""}').toString('base64')), { username: 'u' });
  assert.throws(() => decodeAuth('not json'), /X-Registry-Auth/);
  assert.throws(() => decodeAuth(Buffer.from('[1]').toString('base64')), /X-Registry-Auth/);
});

function credential(id: string, name: string, registry: string, createdAt: string): RegistryCredential {
  return { ID: id, Version: { Index: 1 }, CreatedAt: createdAt, UpdatedAt: createdAt, Spec: { Name: name, Registry: registry, Username: name, Password: 'pw' } };
}

test('choosePullAuth: label, then X-Registry-Auth, then the oldest credential for the registry', () => {
  const creds = [credential('c2', 'newer', 'r:1', '2026-02-01T00:00:00Z'), credential('c1', 'older', 'r:1', '2026-01-01T00:00:00Z'), credential('c3', 'other', 'q:1', '2026-01-01T00:00:00Z')];
  const auths: ServiceRegistryAuth[] = [
    { ID: 'a1', Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '', ServiceID: 's', Auth: encodeAuth({ username: 'x', password: 'y' }) },
    { ID: 'a2', Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '', ServiceID: 's', Auth: encodeAuth({ serveraddress: 'r:1' }) },
  ];
  const sources: PullAuthSources = {
    credentialByName: (n) => creds.find((c) => c.Spec.Name === n),
    credentials: () => creds,
    serviceAuth: (id) => auths.find((a) => a.ID === id),
  };
  const pick = (labels: Record<string, string> | undefined, ref?: string): string | undefined => {
    const c = choosePullAuth('r:1/app:1', labels, ref, sources);
    return c?.kind === 'credential' ? c.credential.Spec.Name : c?.kind;
  };
  assert.equal(pick({ 'berth.registry-credential': 'newer' }, 'a1'), 'newer');
  assert.equal(pick(undefined, 'a1'), 'service');
  // An auth config without a login (the CLI had none for the registry) falls through.
  assert.equal(pick(undefined, 'a2'), 'older');
  assert.equal(pick(undefined), 'older');
  assert.equal(choosePullAuth('s:1/app', undefined, undefined, sources), undefined);
  assert.equal(choosePullAuth('r:1/app', { 'berth.registry-credential': 'gone' }, undefined, sources), undefined);
});
