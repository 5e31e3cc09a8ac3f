import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { installErrorHandlers } from '../api/index.js';
import { portalRoutes } from './routes.js';

function builtPortal(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-portal-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="/ui/assets/app-1.js"></script>');
  writeFileSync(join(dir, 'assets/app-1.js'), 'console.log("app")');
  writeFileSync(join(dir, 'assets/app-1.js.br'), 'BROTLI');
  writeFileSync(join(dir, 'assets/app-1.js.gz'), 'GZIP');
  return dir;
}

test('the portal: the app for every page, its assets with the copies the build compressed, nothing else', async () => {
  const app = Fastify();
  installErrorHandlers(app);
  portalRoutes(app, { dir: builtPortal() });
  const page = await app.inject({ url: '/ui/services/abc?tab=logs' });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /app-1\.js/);
  assert.equal(page.headers['cache-control'], 'no-cache');
  assert.match(String(page.headers['content-security-policy']), /script-src 'self';.*frame-ancestors 'none'/);
  const br = await app.inject({ url: '/ui/assets/app-1.js', headers: { 'accept-encoding': 'gzip, br' } });
  assert.equal(br.headers['content-encoding'], 'br');
  assert.equal(br.body, 'BROTLI', 'the copy the build made, not one made at start');
  assert.match(String(br.headers['cache-control']), /immutable/);
  assert.equal((await app.inject({ url: '/ui/assets/app-1.js', headers: { 'accept-encoding': 'gzip' } })).body, 'GZIP');
  assert.equal((await app.inject({ url: '/ui/assets/app-1.js' })).body, 'console.log("app")');
  assert.equal((await app.inject({ url: '/ui/assets/app-1.js.br' })).statusCode, 404, 'the compressed copies are not files of their own');
  assert.equal((await app.inject({ url: '/ui/assets/gone-2.js' })).statusCode, 404, 'a missing script is never the page');
  assert.equal((await app.inject({ url: '/' })).headers.location, '/ui/');
  await app.close();
});

test('a manager without a built portal says how to build it', async () => {
  const app = Fastify();
  installErrorHandlers(app);
  portalRoutes(app, { dir: mkdtempSync(join(tmpdir(), 'berth-portal-none-')) });
  const res = await app.inject({ url: '/ui/' });
  assert.equal(res.statusCode, 404);
  assert.match(res.json().message, /npm run build/);
  await app.close();
});
