// The portal's administration and object pages in a real Chromium against a real `berth up`: an
// administrator creates a viewer and a team, a secret (whose value never shows), a network and a
// config; the viewer sees no button that would change anything; a token is created (shown once)
// and revoked; a cluster setting and autolock change through the settings page; the audit page
// shows those changes, filtered by its URL. Every page passes axe and is saved as a screenshot.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { DESKTOP, newPage, PHONE, screenshot } from '../helpers/browser.js';
import { describeViolations, seriousViolations, signIn, startPortalCluster, waitFor, type PortalCluster } from '../helpers/portal.js';
import { TEST_IMAGE } from '../helpers/engine.js';

const VIEWER = { name: 'vera', password: 'Viewer-pass-1' };
const SECRET_VALUE = 'S3cret-value-never-shown';
/** Buttons that change something: none may show to a viewer. */
const MUTATING = /create|remove|scale|update|more|restart|roll|availability|revoke|rotate|add label|edit/i;

/** check asserts the page has no serious or critical axe violations and saves its screenshot. */
async function check(page: Page, name: string): Promise<void> {
  const violations = await seriousViolations(page);
  assert.deepEqual(violations, [], `${name}: ${describeViolations(violations)}`);
  await screenshot(page, name);
}

async function visibleButtons(page: Page): Promise<string[]> {
  const names: string[] = [];
  for (const b of await page.getByRole('button').all()) names.push(((await b.getAttribute('aria-label')) ?? (await b.innerText())).trim());
  return names;
}

describe('portal: administration, secrets, configs and networks', () => {
  let cluster: PortalCluster;
  let page: Page;

  before(async () => {
    cluster = await startPortalCluster('admin');
    page = (await newPage(cluster.browser, DESKTOP)).page;
    // No transitions (the theme respects this): axe never sees a half-faded notification.
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await signIn(page, cluster.base);
  });
  after(async () => {
    await cluster?.stop();
  });

  test('an administrator creates a viewer and a team with the pages', async () => {
    await page.goto(`${cluster.base}/ui/admin/users`);
    await page.getByRole('button', { name: 'Create user' }).click();
    const form = page.getByRole('dialog', { name: 'Create a user' });
    await form.getByLabel('Name').fill(VIEWER.name);
    await form.getByRole('textbox', { name: 'Password' }).fill(VIEWER.password);
    await form.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('cell', { name: VIEWER.name, exact: true }).waitFor();
    const users = await cluster.api<Array<{ Name: string; Role: string }>>('GET', '/berth/v1/users');
    assert.equal(users.find((u) => u.Name === VIEWER.name)?.Role, 'viewer', 'the default role is viewer');
    await check(page, 'admin-users');

    await page.getByRole('tab', { name: 'Teams' }).click();
    await page.waitForURL(/\/ui\/admin\/teams$/);
    await page.getByRole('button', { name: 'Create team' }).click();
    const team = page.getByRole('dialog', { name: 'Create a team' });
    await team.getByLabel('Name').fill('payments');
    await team.getByRole('button', { name: 'Add member' }).click();
    await team.getByLabel('User').click();
    await page.getByRole('option', { name: VIEWER.name }).click();
    await team.getByLabel('Stacks').fill('shop');
    await team.getByLabel('Stacks').press('Enter');
    await check(page, 'admin-team-form');
    await team.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('cell', { name: 'payments', exact: true }).waitFor();
    const made = await cluster.api<{ Members: unknown; Stacks: string[] }>('GET', '/berth/v1/teams/payments');
    assert.deepEqual(made.Members, [{ User: VIEWER.name, Role: 'viewer' }]);
    assert.deepEqual(made.Stacks, ['shop']);
    await check(page, 'admin-teams');
  });

  test('a secret (its value never shown), a network and a config, created from their pages', async () => {
    await page.goto(`${cluster.base}/ui/secrets`);
    await page.getByRole('button', { name: 'Create secret' }).click();
    const secret = page.getByRole('dialog', { name: 'Create a secret' });
    await secret.getByLabel('Name').fill('db-password');
    await secret.getByLabel('Value').fill(SECRET_VALUE);
    await secret.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('cell', { name: 'db-password', exact: true }).waitFor();
    assert.ok(!(await page.content()).includes(SECRET_VALUE), 'the value is not on the page');
    const stored = await cluster.api<{ Spec: { Data?: string } }>('GET', '/secrets/db-password');
    assert.equal(stored.Spec.Data, undefined, 'the API returns no data');
    await check(page, 'secrets');

    await page.goto(`${cluster.base}/ui/networks`);
    await page.getByRole('button', { name: 'Create network' }).click();
    const network = page.getByRole('dialog', { name: 'Create a network' });
    await network.getByLabel('Name').fill('backend');
    await network.getByLabel('Subnet').fill('10.77.0.0/24');
    await network.getByLabel(/Attachable/).check();
    await network.getByLabel(/Encrypted/).check();
    await network.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('cell', { name: '10.77.0.0/24' }).waitFor();
    const net = await cluster.api<{ Attachable: boolean; Internal: boolean; Options: Record<string, string> }>('GET', '/networks/backend');
    assert.equal(net.Attachable, true);
    assert.equal(net.Internal, false);
    assert.ok('encrypted' in net.Options);
    await check(page, 'networks');

    await page.goto(`${cluster.base}/ui/configs`);
    await page.getByRole('button', { name: 'Create config' }).click();
    const config = page.getByRole('dialog', { name: 'Create a config' });
    await config.getByLabel('Name').fill('app.conf');
    await config.getByLabel('Content').fill('port=8080\nmode=é');
    await config.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('button', { name: 'app.conf', exact: true }).click();
    await page.getByRole('dialog', { name: 'Config app.conf' }).getByText('mode=é').waitFor();
    assert.match(page.url(), /\/ui\/configs\?show=/, 'the config shown is in the URL');
    await check(page, 'configs');
  });

  test('a viewer sees no button that changes anything: services, nodes, secrets, configs, networks', async () => {
    await cluster.api('POST', '/services/create', { Name: 'web', TaskTemplate: { ContainerSpec: { Image: TEST_IMAGE } }, Mode: { Replicated: { Replicas: 0 } } });
    // What the viewer must not see is there for the administrator.
    await page.goto(`${cluster.base}/ui/services`);
    await page.getByRole('link', { name: 'web' }).click();
    await page.getByRole('button', { name: 'Scale' }).waitFor();

    const { context, page: viewer } = await newPage(cluster.browser, PHONE);
    await viewer.emulateMedia({ reducedMotion: 'reduce' });
    try {
      await signIn(viewer, cluster.base, VIEWER.name, VIEWER.password);
      const pages: Array<[string, string]> = [
        ['/ui/services', 'web'],
        ['/ui/nodes', 'portal-admin'],
        ['/ui/secrets', 'db-password'],
        ['/ui/configs', 'app.conf'],
        ['/ui/networks', 'backend'],
      ];
      for (const [path, shows] of pages) {
        await viewer.goto(cluster.base + path);
        await viewer.getByText(shows, { exact: true }).first().waitFor();
        const mutating = (await visibleButtons(viewer)).filter((b) => MUTATING.test(b));
        assert.deepEqual(mutating, [], `${path} offers a viewer ${mutating.join(', ')}`);
        await check(viewer, `viewer${path.replace(/\//g, '-').replace('-ui', '')}-phone`);
      }
      await viewer.goto(`${cluster.base}/ui/services`);
      await viewer.getByRole('link', { name: 'web' }).click();
      await viewer.getByRole('heading', { name: /web/ }).waitFor();
      assert.deepEqual((await visibleButtons(viewer)).filter((b) => MUTATING.test(b)), [], 'the service page offers a viewer nothing to change');
      // Administration is not offered to a viewer, and says so when typed in.
      await viewer.getByRole('button', { name: 'Navigation' }).click();
      assert.equal(await viewer.getByRole('link', { name: 'Administration' }).count(), 0);
      await viewer.goto(`${cluster.base}/ui/admin/users`);
      await viewer.getByRole('alert').getByText(/takes the admin role/).waitFor();
    } finally {
      await context.close();
    }
  });

  test('a token is shown once with a copy button, works, and stops working when revoked', async () => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.goto(`${cluster.base}/ui/`);
    await page.getByRole('button', { name: 'Signed in as admin' }).click();
    await page.getByRole('menuitem', { name: 'Account and tokens' }).click();
    await page.getByRole('button', { name: 'Create token' }).click();
    const form = page.getByRole('dialog', { name: 'Create a token' });
    await form.getByLabel('Name').fill('ci-deploy');
    await form.getByRole('button', { name: 'Create' }).click();
    const shown = page.getByRole('dialog', { name: 'Your new token' });
    const token = (await shown.getByTestId('shown-once').innerText()).trim();
    assert.match(token, /^berth_[0-9a-z]{25}_[0-9a-f]{64}$/);
    await shown.getByRole('button', { name: 'Copy' }).click();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), token, 'the copy button copies it');
    await check(page, 'account-token-shown');
    await shown.getByRole('button', { name: 'Done' }).click();
    await shown.waitFor({ state: 'detached' });
    const whoami = (t: string) => fetch(`${cluster.base}/berth/v1/whoami`, { headers: { authorization: `Bearer ${t}` } });
    assert.equal((await whoami(token)).status, 200);
    assert.ok(!(await page.content()).includes(token), 'not shown again');
    await check(page, 'account');

    await page.getByRole('button', { name: 'Revoke token ci-deploy of admin' }).click();
    await page.getByRole('dialog', { name: /Revoke token ci-deploy/ }).getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('cell', { name: 'ci-deploy', exact: true }).waitFor({ state: 'detached' });
    assert.equal((await whoami(token)).status, 401);
  });

  test('settings: the task history limit through POST /swarm/update, autolock with its key shown once', async () => {
    await page.goto(`${cluster.base}/ui/admin/settings`);
    const limit = page.getByLabel('Task history limit');
    await limit.fill('7');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await waitFor(async () => (await cluster.api<{ Spec: { Orchestration: { TaskHistoryRetentionLimit: number } } }>('GET', '/swarm')).Spec.Orchestration.TaskHistoryRetentionLimit === 7, 10_000, 'the new limit');
    await page.getByText('Cluster settings saved').waitFor();
    await check(page, 'admin-settings');

    await page.getByLabel('Lock managers with an unlock key').click();
    const shown = page.getByRole('dialog', { name: 'The unlock key' });
    const key = (await shown.getByTestId('shown-once').innerText()).trim();
    assert.equal(key, (await cluster.api<{ UnlockKey: string }>('GET', '/swarm/unlockkey')).UnlockKey);
    assert.match(key, /^SWMKEY-1-/);
    await shown.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('switch', { name: 'Lock managers with an unlock key', checked: true }).click();
    await page.getByRole('dialog', { name: 'Turn autolock off?' }).getByRole('button', { name: 'Turn off' }).click();
    await waitFor(async () => !(await cluster.api<{ Spec: { EncryptionConfig: { AutoLockManagers: boolean } } }>('GET', '/swarm')).Spec.EncryptionConfig.AutoLockManagers, 10_000, 'autolock off');
  });

  test('single sign-on page: not set, its form', async () => {
    await page.goto(`${cluster.base}/ui/admin/oidc`);
    await page.getByText('Not set: users sign in with their passwords only.').waitFor();
    await check(page, 'admin-oidc');
  });

  test('the audit page shows those changes, filtered through its URL', async () => {
    await page.goto(`${cluster.base}/ui/admin/audit?action=secret`);
    const entries = page.getByRole('table', { name: 'Audit entries' });
    await entries.getByRole('cell', { name: 'secret.create', exact: true }).waitFor();
    await entries.getByRole('cell', { name: 'db-password', exact: true }).waitFor();
    assert.equal(await entries.getByRole('cell', { name: 'network.create', exact: true }).count(), 0, 'only secrets');

    await page.getByRole('combobox', { name: 'Action' }).fill('network');
    await page.getByRole('combobox', { name: 'Action' }).press('Escape');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/action=network/);
    await entries.getByRole('cell', { name: 'network.create', exact: true }).waitFor();
    await entries.getByRole('button', { name: /Details of network.create/ }).click();
    await entries.getByText('POST /networks/create').waitFor();
    await check(page, 'admin-audit');

    for (const action of ['user.create', 'team.create', 'token.delete', 'swarm.update']) {
      await page.goto(`${cluster.base}/ui/admin/audit?action=${action}&user=admin`);
      await entries.getByRole('cell', { name: action, exact: true }).first().waitFor();
    }
    const { page: phone, context } = await newPage(cluster.browser, PHONE);
    await phone.emulateMedia({ reducedMotion: 'reduce' });
    try {
      await signIn(phone, cluster.base, 'admin', undefined, '/ui/admin/audit?action=network');
      await phone.getByRole('cell', { name: 'network.create', exact: true }).waitFor();
      await check(phone, 'admin-audit-phone');
    } finally {
      await context.close();
    }
  });
});
