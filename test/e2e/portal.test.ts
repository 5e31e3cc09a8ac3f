// The portal in a real Chromium against a real `berth up` (docs/portal.md): it is served small
// and locked down; an admin signs in (password and OIDC), creates a service with the form and
// watches it converge, scales it and follows its logs; the API's refusal shows beside its field;
// a viewer is offered nothing that changes the cluster; every page works on a phone and passes
// axe-core with no serious or critical violation.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { get as httpGet } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { DESKTOP, newPage, PHONE, screenshot } from '../helpers/browser.js';
import { TEST_IMAGE } from '../helpers/engine.js';
import { CLIENT, startProvider, type TestProvider } from '../helpers/oidc-provider.js';
import { describeViolations, seriousViolations, signIn, startPortalCluster, waitFor, type PortalCluster } from '../helpers/portal.js';

const VIEWER = { user: 'vic', password: 'Viewer-pass-1' };

describe('the portal', { timeout: 400_000 }, () => {
  let cluster: PortalCluster;
  let provider: TestProvider | undefined;
  let admin: Page;
  let serviceId = '';

  before(async () => {
    cluster = await startPortalCluster('core');
    await cluster.api('POST', '/berth/v1/users', { Name: VIEWER.user, Password: VIEWER.password, Role: 'viewer' });
    admin = (await newPage(cluster.browser)).page;
  });

  after(async () => {
    await provider?.close();
    await cluster?.stop();
  });

  test('the portal is served under /ui/ with a strict CSP and an initial script within budget', async () => {
    const res = await fetch(`${cluster.base}/ui/services`);
    assert.equal(res.status, 200, 'every path under /ui/ is the app');
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self';/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const html = await res.text();
    // What the first page loads before it can render: its entry script and what it imports at once.
    const initial = [...html.matchAll(/(?:src|href)="(\/ui\/assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
    assert.ok(initial.length > 0, html);
    let gzipped = 0;
    for (const path of initial) gzipped += gzipSync(Buffer.from(await (await fetch(cluster.base + path)).arrayBuffer())).length;
    assert.ok(gzipped <= 300 * 1024, `initial JS is ${Math.round(gzipped / 1024)} KB gzipped; the budget is 300 KB`);
    assert.equal((await fetch(`${cluster.base}/ui/assets/gone-1234.js`)).status, 404, 'a missing script is not answered with the page');
    // fetch sets Host itself: a raw request names the host a DNS-rebinding page would.
    const rebound = await new Promise<number>((resolve, reject) => httpGet(`${cluster.base}/ui/`, { headers: { host: 'attacker.example' } }, (r) => (r.resume(), resolve(r.statusCode!))).on('error', reject));
    assert.equal(rebound, 421, 'plain HTTP answers only a loopback Host (no DNS rebinding)');
    assert.equal((await fetch(`${cluster.base}/services`)).status, 401, 'plain HTTP from loopback still needs a session');
  });

  test('an admin signs in, creates a service with the form, sees it converge, scales it and follows its logs', async () => {
    await signIn(admin, cluster.base);
    await admin.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await admin.getByRole('link', { name: 'Services' }).click();
    await admin.getByRole('link', { name: 'Create service' }).click();
    await admin.getByRole('textbox', { name: 'Name', exact: true }).fill('portal-web');
    await admin.getByRole('textbox', { name: 'Image' }).fill(TEST_IMAGE);
    await admin.getByRole('textbox', { name: 'Replicas' }).fill('2');
    await admin.getByRole('textbox', { name: 'Command', exact: true }).fill(`sh -c 'while true; do echo portal-tick; sleep 1; done'`);
    await admin.getByRole('textbox', { name: 'Environment' }).fill('GREETING=hello');
    await admin.getByRole('button', { name: 'Create' }).click();
    await admin.getByRole('heading', { name: /portal-web/ }).waitFor();
    serviceId = new URL(admin.url()).pathname.split('/').pop()!;
    const spec = await cluster.api<{ Spec: { TaskTemplate: { ContainerSpec: { Command: string[]; Env: string[] } } } }>('GET', `/services/${serviceId}`);
    assert.deepEqual(spec.Spec.TaskTemplate.ContainerSpec.Command, ['sh', '-c', 'while true; do echo portal-tick; sleep 1; done']);
    assert.deepEqual(spec.Spec.TaskTemplate.ContainerSpec.Env, ['GREETING=hello']);
    // Convergence arrives through the event stream: the page is not reloaded.
    await admin.getByText(/Replicas\s*2\/2/).waitFor({ timeout: 60_000 });
    await screenshot(admin, 'service-tasks');

    await admin.getByRole('button', { name: 'Scale' }).click();
    await admin.getByRole('textbox', { name: 'Replicas' }).fill('3');
    await admin.getByRole('dialog').getByRole('button', { name: 'Scale' }).click();
    await admin.getByText(/Replicas\s*3\/3/).waitFor({ timeout: 60_000 });

    await admin.getByRole('tab', { name: 'Logs' }).click();
    const log = admin.getByRole('log', { name: 'Logs' });
    await log.getByText('portal-tick').first().waitFor({ timeout: 30_000 });
    assert.match(admin.url(), /tab=logs/, 'the tab is in the URL');
    await screenshot(admin, 'service-logs');
  });

  test('a change made elsewhere shows in an open page, from the event stream', async () => {
    await admin.goto(`${cluster.base}/ui/services`);
    const row = admin.getByRole('row', { name: /portal-web/ });
    await row.getByText('3/3').waitFor();
    const s = await cluster.api<{ Version: { Index: number }; Spec: Record<string, unknown> }>('GET', `/services/${serviceId}`);
    await cluster.api('POST', `/services/${serviceId}/update?version=${s.Version.Index}`, { ...s.Spec, Mode: { Replicated: { Replicas: 1 } } });
    await row.getByText('1/1').waitFor({ timeout: 30_000 });
  });

  test("the API's refusal shows beside the field it names", async () => {
    await admin.goto(`${cluster.base}/ui/services/new`);
    await admin.getByRole('textbox', { name: 'Image' }).fill(TEST_IMAGE);
    await admin.getByRole('textbox', { name: 'Constraints' }).fill('node.role=worker');
    await admin.getByRole('button', { name: 'Create' }).click();
    const field = admin.getByRole('textbox', { name: 'Constraints' });
    await waitFor(async () => (await field.getAttribute('aria-invalid')) === 'true', 10_000, 'the constraints field marked invalid');
    const described = await field.getAttribute('aria-describedby');
    assert.ok(described, 'the error is tied to the field');
    assert.match(await admin.locator(`[id="${described!.split(' ').find((id) => id.includes('error'))}"]`).innerText(), /constraint/i);
    assert.equal((await cluster.api<unknown[]>('GET', '/services')).length, 1, 'nothing was created');
  });

  test('the keyboard alone signs in and reaches a page', async () => {
    const { context, page } = await newPage(cluster.browser);
    await page.goto(`${cluster.base}/ui/`);
    await page.getByRole('textbox', { name: 'User name' }).waitFor();
    // The user name field has the focus when the page opens.
    await page.keyboard.type(VIEWER.user);
    await page.keyboard.press('Tab');
    await page.keyboard.type(VIEWER.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    // Tab through the page to the Services link, and follow it.
    for (let i = 0; i < 20 && !(await page.evaluate('document.activeElement?.textContent === "Services"')); i++) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Services', level: 1 }).waitFor();
    await context.close();
  });

  test('a viewer is offered nothing that changes the cluster', async () => {
    const { context, page } = await newPage(cluster.browser);
    await signIn(page, cluster.base, VIEWER.user, VIEWER.password);
    await page.goto(`${cluster.base}/ui/services`);
    await page.getByRole('link', { name: 'portal-web' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Create service' }).count(), 0);
    await page.getByRole('link', { name: 'portal-web' }).click();
    await page.getByRole('tab', { name: 'Tasks' }).waitFor();
    for (const name of ['Scale', 'Update', 'More actions']) assert.equal(await page.getByRole('button', { name }).or(page.getByRole('link', { name })).count(), 0, `${name} is not offered`);
    await page.goto(`${cluster.base}/ui/nodes`);
    await page.getByRole('link', { name: 'portal-core' }).waitFor();
    assert.equal(await page.getByRole('button', { name: /availability of/ }).count(), 0);
    await screenshot(page, 'viewer-nodes');
    await context.close();
  });

  test('every page works on a phone and at 1280×800 with no serious or critical axe violation', async () => {
    const node = (await cluster.api<Array<{ ID: string }>>('GET', '/nodes'))[0]!.ID;
    const pages: Array<[string, string]> = [
      ['', 'dashboard'],
      ['nodes', 'nodes'],
      [`nodes/${node}`, 'node'],
      ['services', 'services'],
      [`services/${serviceId}`, 'service'],
      [`services/${serviceId}?tab=spec`, 'service-spec'],
      ['services/new', 'service-create'],
      [`logs?service=${serviceId}`, 'logs'],
    ];
    for (const [size, tag] of [[DESKTOP, 'desktop'], [PHONE, 'phone']] as const) {
      const { context, page } = await newPage(cluster.browser, size);
      await signIn(page, cluster.base);
      for (const [path, name] of pages) {
        await page.goto(`${cluster.base}/ui/${path}`);
        await page.getByRole('heading', { level: 1 }).first().waitFor();
        // The event and log streams never go idle: wait for the page's own loaders instead.
        await page.getByLabel('Loading').first().waitFor({ state: 'detached' });
        const violations = await seriousViolations(page);
        assert.deepEqual(violations, [], `/ui/${path} at ${tag}:\n${describeViolations(violations)}`);
        const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
        assert.ok(overflow <= 0, `/ui/${path} is ${overflow}px wider than the ${tag} screen`);
        await screenshot(page, `${tag}-${name}`);
      }
      await context.close();
    }
    const { context, page } = await newPage(cluster.browser, PHONE);
    await page.goto(`${cluster.base}/ui/`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.deepEqual(await seriousViolations(page), []);
    await screenshot(page, 'phone-login');
    await context.close();
  });

  test('single sign-on: the OIDC provider sends the browser back to the portal, signed in', async () => {
    provider = await startProvider(`${cluster.base}/berth/v1/oidc/callback`);
    provider.accounts.set('olivia', { groups: [] });
    await cluster.api('PUT', '/berth/v1/oidc', { Issuer: provider.issuer, ClientId: CLIENT.id, ClientSecret: CLIENT.secret });
    const { context, page } = await newPage(cluster.browser);
    await page.goto(`${cluster.base}/ui/nodes`);
    await page.getByRole('link', { name: 'Sign in with single sign-on' }).click();
    // oidc-provider's development login and consent pages.
    await page.locator('input[name=login]').fill('olivia');
    await page.locator('input[name=password]').fill('any');
    await page.locator('button[type=submit]').click();
    await page.locator('button[type=submit]').click();
    await page.getByRole('button', { name: 'Signed in as olivia' }).waitFor();
    assert.match(page.url(), /\/ui\/nodes$/, 'back where the login started, the session out of the address');
    await context.close();
  });
});
