// What the portal's browser tests share: a real `berth up` (manager, agent on the shared test
// engine, registry) with TLS and logins as in production, the browser, signing in through the
// login page, and the accessibility check (axe-core, serious and critical violations).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { BerthProcess, freePort, tempDir } from './berth.js';
import { testEngine } from './engine.js';
import { launchBrowser } from './browser.js';

export const ADMIN_PASSWORD = 'Portal-admin-1';

export interface PortalCluster {
  /** http://127.0.0.1:PORT: the API and the portal (/ui/), plain HTTP from loopback. */
  base: string;
  /** 127.0.0.1:PORT of the registry. */
  registry: string;
  dataDir: string;
  up: BerthProcess;
  browser: Browser;
  /** A session token for API calls the test makes itself (as admin unless told). */
  token(user?: string, password?: string): Promise<string>;
  /** api calls the manager API as the admin (a session), JSON in and out. */
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

export async function startPortalCluster(name: string): Promise<PortalCluster> {
  const engine = await testEngine();
  const [apiPort, registryPort] = [await freePort(), await freePort()];
  const dataDir = tempDir(`portal-${name}`);
  const up = new BerthProcess(
    ['up', '--data-dir', dataDir, '--listen', `127.0.0.1:${apiPort}`, '--cluster-listen', '127.0.0.1:0', '--engine', engine.url, '--hostname', `portal-${name}`, '--registry', `127.0.0.1:${registryPort}`, '--allow-outbound', '127.0.0.0/8'],
    { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD },
  );
  const browser = await launchBrowser();
  try {
    await up.waitFor(/is up/, 90_000);
  } catch (err) {
    await browser.close();
    await up.stop();
    throw err;
  }
  const base = `http://127.0.0.1:${apiPort}`;
  const tokens = new Map<string, string>();
  const token = async (user = 'admin', password = ADMIN_PASSWORD): Promise<string> => {
    const known = tokens.get(user);
    if (known) return known;
    const res = await fetch(`${base}/berth/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ Username: user, Password: password }) });
    if (!res.ok) throw new Error(`login ${user}: ${res.status} ${await res.text()}`);
    const t = ((await res.json()) as { Token: string }).Token;
    tokens.set(user, t);
    return t;
  };
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(base + path, { method, headers: { authorization: `Bearer ${await token()}`, ...(body !== undefined && { 'content-type': 'application/json' }) }, ...(body !== undefined && { body: JSON.stringify(body) }) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return {
    base,
    registry: `127.0.0.1:${registryPort}`,
    dataDir,
    up,
    browser,
    token,
    api,
    async stop() {
      await browser.close().catch(() => undefined);
      const swarm = await api<{ ID: string }>('GET', '/swarm').catch(() => undefined);
      // Services first: their containers go with them.
      for (const s of await api<Array<{ ID: string }>>('GET', '/services').catch(() => [])) await api('DELETE', `/services/${s.ID}`).catch(() => undefined);
      await waitFor(async () => (await api<unknown[]>('GET', '/tasks?filters=' + encodeURIComponent(JSON.stringify({ 'desired-state': ['running'] }))).catch(() => [])).length === 0, 30_000).catch(() => undefined);
      await up.stop();
      if (!swarm) return;
      // The shared engine keeps nothing of this cluster: a container the agent had not removed yet
      // would hold its network's bridge (named by its VXLAN ID, the same in the next cluster).
      const mine = { label: [`berth.cluster.id=${swarm.ID}`] };
      for (const c of await engine.docker.listContainers({ all: true, filters: mine })) await engine.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
      for (const n of await engine.docker.listNetworks({ filters: mine })) await engine.docker.getNetwork(n.Id).remove().catch(() => undefined);
    },
  };
}

/** signIn logs in through the login page, as a user would. */
export async function signIn(page: Page, base: string, user = 'admin', password = ADMIN_PASSWORD, path = '/ui/'): Promise<void> {
  await page.goto(base + path);
  await page.getByRole('textbox', { name: 'User name' }).fill(user);
  await page.getByRole('textbox', { name: 'Password' }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Sections' }).or(page.getByRole('button', { name: 'Navigation' })).first().waitFor();
}

const axeSource = readFileSync(join(createRequire(import.meta.url).resolve('axe-core'), '../axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/** seriousViolations runs axe-core on the page (injected by the test driver: the page's CSP allows only its own scripts). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  const result = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] })')) as { violations: AxeViolation[] };
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export function describeViolations(vs: AxeViolation[]): string {
  return vs.map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`).join('\n');
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
