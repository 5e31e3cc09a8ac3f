// Spec "Content Discovery": end-8 (tag list, n/last pagination, Link) and end-12 (referrers,
// artifactType filter, OCI-Filters-Applied).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { OCI_INDEX, OCI_MANIFEST } from './manifests.js';
import { MAX_TAGS_PAGE } from './routes-discovery.js';
import { desc, pushBlob, req, sha256, startRegistry, type TestRegistry } from './test-helpers.js';

let reg: TestRegistry;
let manifest: string;
const TAGS = ['b', 'A', 'c', '1', 'a', 'B-2', 'z_last'];

before(async () => {
  reg = await startRegistry();
  const config = '{"architecture":"amd64","os":"linux"}';
  await pushBlob(reg, 'disc/app', config);
  manifest = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: desc('application/vnd.oci.image.config.v1+json', config), layers: [] });
  for (const tag of TAGS) {
    const res = await req(reg, 'PUT', `/v2/disc/app/manifests/${tag}`, { body: manifest, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(res.status, 201);
  }
});
after(() => reg.close());

const list = async (query = ''): Promise<{ status: number; tags: string[]; link: string | null }> => {
  const res = await req(reg, 'GET', `/v2/disc/app/tags/list${query}`);
  return { status: res.status, tags: res.status === 200 ? res.json().tags : [], link: res.headers.get('link') };
};

test('end-8a: all tags in lexical (case-insensitive) order', async () => {
  const res = await req(reg, 'GET', '/v2/disc/app/tags/list');
  assert.equal(res.status, 200);
  assert.deepEqual(res.json(), { name: 'disc/app', tags: ['1', 'A', 'a', 'b', 'B-2', 'c', 'z_last'] });
  assert.equal(res.headers.get('link'), null);
});

test('end-8b: n limits the page and Link points at the next one; following Link walks every tag once', async () => {
  const first = await list('?n=3');
  assert.deepEqual(first.tags, ['1', 'A', 'a']);
  assert.equal(first.link, '</v2/disc/app/tags/list?n=3&last=a>; rel="next"');
  const seen = [...first.tags];
  let link: string | null = first.link;
  while (link) {
    const next = /^<([^>]+)>; rel="next"$/.exec(link)![1]!;
    const res = await req(reg, 'GET', next);
    seen.push(...res.json().tags);
    link = res.headers.get('link');
  }
  assert.deepEqual(seen, ['1', 'A', 'a', 'b', 'B-2', 'c', 'z_last']);
});

test('end-8b: last starts after the named tag (exclusive), with or without n; n=0 is an empty list with no Link', async () => {
  assert.deepEqual((await list('?last=b')).tags, ['B-2', 'c', 'z_last']);
  assert.deepEqual((await list('?n=2&last=B-2')).tags, ['c', 'z_last']);
  assert.equal((await list('?n=2&last=B-2')).link, null, 'no Link once the list is exhausted');
  assert.deepEqual((await list('?n=100')).tags.length, TAGS.length);
  assert.deepEqual((await list('?last=zzz')).tags, []);
  const zero = await list('?n=0');
  assert.deepEqual(zero, { status: 200, tags: [], link: null });
  const bad = await req(reg, 'GET', '/v2/disc/app/tags/list?n=-1');
  assert.equal(bad.status, 400);
});

test('end-8b: an n above the number of tags gives them all, with no Link', async () => {
  const res = await list(`?n=${MAX_TAGS_PAGE * 5}`);
  assert.equal(res.tags.length, TAGS.length, 'fewer tags than the page: all of them, no Link');
  assert.equal(res.link, null);
});

test('end-8: an unknown repository is 404 NAME_UNKNOWN; one whose tags were all deleted lists []', async () => {
  const res = await req(reg, 'GET', '/v2/disc/nothing/tags/list');
  assert.equal(res.status, 404);
  assert.deepEqual(res.codes(), ['NAME_UNKNOWN']);
  await pushBlob(reg, 'disc/blobonly', 'just a blob');
  assert.deepEqual((await req(reg, 'GET', '/v2/disc/blobonly/tags/list')).json(), { name: 'disc/blobonly', tags: [] });
});

async function pushReferrer(name: string, subject: { digest: string; size: number }, opts: { artifactType?: string; configType?: string; annotations?: Record<string, string>; index?: boolean }): Promise<string> {
  const config = `{"for":"${subject.digest}","t":"${opts.artifactType ?? opts.configType}"}`;
  await pushBlob(reg, name, config);
  const body = opts.index
    ? JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [], subject: { mediaType: OCI_MANIFEST, ...subject }, annotations: opts.annotations })
    : JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: opts.artifactType,
        config: desc(opts.configType ?? 'application/vnd.oci.empty.v1+json', config),
        layers: [],
        subject: { mediaType: OCI_MANIFEST, ...subject },
        annotations: opts.annotations,
      });
  const res = await req(reg, 'PUT', `/v2/${name}/manifests/${sha256(body)}`, { body, headers: { 'Content-Type': opts.index ? OCI_INDEX : OCI_MANIFEST } });
  assert.equal(res.status, 201);
  assert.equal(res.headers.get('oci-subject'), subject.digest);
  return sha256(body);
}

test('end-12: referrers list every manifest whose subject is the digest, with artifactType and annotations', async () => {
  const subject = { digest: sha256(manifest), size: Buffer.byteLength(manifest) };
  const sig = await pushReferrer('disc/app', subject, { artifactType: 'application/vnd.example.sig', annotations: { 'org.example.k': 'v' } });
  const sbom = await pushReferrer('disc/app', subject, { configType: 'application/vnd.example.sbom.config' });
  const idx = await pushReferrer('disc/app', subject, { index: true, annotations: { kind: 'index' } });
  const res = await req(reg, 'GET', `/v2/disc/app/referrers/${subject.digest}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), OCI_INDEX);
  const body = res.json();
  assert.equal(body.schemaVersion, 2);
  assert.equal(body.mediaType, OCI_INDEX);
  const byDigest = new Map(body.manifests.map((m: { digest: string }) => [m.digest, m]));
  assert.equal(byDigest.size, 3);
  assert.deepEqual(byDigest.get(sig), { mediaType: OCI_MANIFEST, digest: sig, size: (await req(reg, 'GET', `/v2/disc/app/manifests/${sig}`)).body.length, artifactType: 'application/vnd.example.sig', annotations: { 'org.example.k': 'v' } });
  assert.equal((byDigest.get(sbom) as { artifactType: string }).artifactType, 'application/vnd.example.sbom.config', 'no artifactType: the config media type');
  const index = byDigest.get(idx) as { artifactType?: string; mediaType: string; annotations: Record<string, string> };
  assert.equal(index.mediaType, OCI_INDEX);
  assert.equal('artifactType' in index, false, 'an index without artifactType has none');
  assert.deepEqual(index.annotations, { kind: 'index' });

  const filtered = await req(reg, 'GET', `/v2/disc/app/referrers/${subject.digest}?artifactType=application/vnd.example.sig`);
  assert.equal(filtered.headers.get('oci-filters-applied'), 'artifactType');
  assert.deepEqual(filtered.json().manifests.map((m: { digest: string }) => m.digest), [sig]);
  assert.equal((await req(reg, 'GET', `/v2/disc/app/referrers/${subject.digest}`)).headers.get('oci-filters-applied'), null);

  // Deleting a referrer takes it out of the list.
  assert.equal((await req(reg, 'DELETE', `/v2/disc/app/manifests/${sig}`)).status, 202);
  const after = (await req(reg, 'GET', `/v2/disc/app/referrers/${subject.digest}`)).json();
  assert.deepEqual(after.manifests.map((m: { digest: string }) => m.digest).sort(), [sbom, idx].sort());
});

test('end-12: no referrers is an empty index, never 404 (also for unknown repositories); a bad digest is 400', async () => {
  for (const name of ['disc/app', 'disc/unknown']) {
    const res = await req(reg, 'GET', `/v2/${name}/referrers/${sha256('nobody refers to me')}`);
    assert.equal(res.status, 200, name);
    assert.deepEqual(res.json(), { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] });
  }
  const bad = await req(reg, 'GET', '/v2/disc/app/referrers/sha256:xyz');
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.codes(), ['DIGEST_INVALID']);
});

test('Enabling the Referrers API: manifests listed in a referrers-tag index (<alg>-<hex>) are in the referrers API, once', async () => {
  const subject = { digest: sha256(manifest), size: Buffer.byteLength(manifest) };
  const referrer = await pushReferrer('disc/tagschema', subject, { artifactType: 'application/vnd.example.old' });
  // What a client that fell back to the tag schema pushes.
  const size = (await req(reg, 'GET', `/v2/disc/tagschema/manifests/${referrer}`)).body.length;
  const tagIndex = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: referrer, size, artifactType: 'application/vnd.example.old' }] });
  const tag = subject.digest.replace(':', '-');
  assert.equal((await req(reg, 'PUT', `/v2/disc/tagschema/manifests/${tag}`, { body: tagIndex, headers: { 'Content-Type': OCI_INDEX } })).status, 201);
  const list = (await req(reg, 'GET', `/v2/disc/tagschema/referrers/${subject.digest}`)).json();
  assert.deepEqual(list.manifests.map((m: { digest: string }) => m.digest), [referrer]);
});
