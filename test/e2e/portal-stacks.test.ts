// The portal's stacks in a real Chromium against a real `berth up`: deploy a stack of two
// services from the compose editor and watch it converge; a broken file shows its error with
// its line and cannot be deployed; a preview of a change (replicas 1→2) names the field, and
// applying it scales the service; the list on a phone; removal with confirmation. Every page
// passes axe's serious and critical checks and leaves a screenshot.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { newPage, PHONE, screenshot } from '../helpers/browser.js';
import { describeViolations, seriousViolations, signIn, startPortalCluster, waitFor, type PortalCluster } from '../helpers/portal.js';
import { TEST_IMAGE } from '../helpers/engine.js';

const compose = (replicas: number) => `services:
  web:
    image: ${TEST_IMAGE}
    command: ["sleep", "3600"]
    deploy:
      replicas: ${replicas}
  worker:
    image: ${TEST_IMAGE}
    command: ["sleep", "3600"]
`;

const BROKEN = `services:
  web:
    image: ${TEST_IMAGE}
    deploy:
      replicas: [1]
`;

describe('portal: stacks', { timeout: 600_000 }, () => {
  let cluster: PortalCluster;
  let context: BrowserContext;
  let page: Page;

  const accessible = async (name: string, on: Page = page) => {
    const violations = await seriousViolations(on);
    assert.deepEqual(violations, [], describeViolations(violations));
    await screenshot(on, name);
  };
  /** The editor's whole text replaced, as a user selecting all and pasting. */
  const fillEditor = async (text: string) => {
    await page.locator('.cm-content').click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.insertText(text);
  };
  /** A service's row showing its replicas; the page is reloaded until it does (until GET /events feeds it live). */
  const converged = async (service: string, replicas: string) => {
    const row: Locator = page.getByRole('row').filter({ hasText: service }).filter({ hasText: replicas });
    await waitFor(async () => (await row.count()) > 0 || (await page.reload(), false), 90_000, `${service} at ${replicas}`).catch(async (err: Error) => {
      // Say what the cluster had instead, and show the page.
      await screenshot(page, `failed-${service}-${replicas.replace('/', 'of')}`);
      const tasks = await cluster.api<{ Status: { State: string; Err?: string }; DesiredState: string; ServiceID: string }[]>('GET', '/tasks');
      throw new Error(`${err.message}; tasks: ${JSON.stringify(tasks.map((t) => [t.ServiceID.slice(0, 6), t.DesiredState, t.Status.State, t.Status.Err]))}`);
    });
  };

  before(async () => {
    cluster = await startPortalCluster('stacks');
    ({ context, page } = await newPage(cluster.browser));
    await signIn(page, cluster.base, undefined, undefined, '/ui/stacks');
  });

  after(async () => {
    await context?.close();
    await cluster?.api('DELETE', '/berth/v1/stacks/shop').catch(() => undefined);
    await cluster?.stop();
  });

  test('a broken file shows its schema error with its line, and cannot be previewed or deployed', async () => {
    await page.getByRole('link', { name: 'Deploy stack' }).click();
    await page.getByRole('textbox', { name: 'Stack name' }).fill('shop');
    await fillEditor(BROKEN);
    const problem = page.getByRole('list', { name: 'Problems in the compose file' }).getByText('Line 5: services.web.deploy.replicas: must be an integer or a string');
    await problem.waitFor();
    assert.equal(await page.getByRole('button', { name: 'Preview changes' }).isDisabled(), true);
    await accessible('stack-editor-error');
    assert.deepEqual(await cluster.api('GET', '/berth/v1/stacks'), [], 'nothing was deployed');
  });

  test('a stack of two services deploys from the editor and converges', async () => {
    await fillEditor(compose(1));
    await page.getByText('The file matches the Compose Specification.').waitFor();
    await page.getByRole('button', { name: 'Preview changes' }).click();
    await page.getByRole('heading', { name: 'Preview: 3 changes' }).waitFor();
    for (const object of ['network shop_default', 'service shop_web', 'service shop_worker']) await page.getByRole('row').filter({ hasText: object }).filter({ hasText: 'create' }).waitFor();
    await accessible('stack-deploy-preview');
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await page.getByRole('heading', { name: 'Stack shop', exact: true }).waitFor();
    await converged('shop_web', '1/1');
    await converged('shop_worker', '1/1');
    await accessible('stack-page');
  });

  test('a change is previewed field by field (replicas 1→2), then applied', async () => {
    await page.getByRole('link', { name: 'Update' }).click();
    await page.getByRole('heading', { name: 'Update stack shop' }).waitFor();
    await fillEditor(compose(2));
    await page.getByRole('button', { name: 'Preview changes' }).click();
    await page.getByRole('heading', { name: 'Preview: 1 change' }).waitFor();
    await page.getByRole('row').filter({ hasText: 'service shop_web' }).filter({ hasText: 'Mode.Replicated.Replicas: 1 → 2' }).waitFor();
    await page.getByRole('row').filter({ hasText: 'service shop_worker' }).filter({ hasText: 'unchanged' }).waitFor();
    await accessible('stack-update-preview');
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await page.getByRole('heading', { name: 'Stack shop', exact: true }).waitFor();
    await converged('shop_web', '2/2');
    const stack = await cluster.api<{ StackVersion: number }>('GET', '/berth/v1/stacks/shop');
    assert.equal(stack.StackVersion, 2);
  });

  test('the list on a phone; the stack is removed after a confirmation', async () => {
    const phone = await newPage(cluster.browser, PHONE);
    try {
      await signIn(phone.page, cluster.base, undefined, undefined, '/ui/stacks');
      await phone.page.getByRole('row').filter({ hasText: 'shop' }).filter({ hasText: '3/3' }).waitFor();
      await accessible('stacks-phone', phone.page);
    } finally {
      await phone.context.close();
    }
    await page.getByRole('button', { name: 'Remove' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove stack shop?' });
    await dialog.waitFor();
    // Checked once it has faded in: mid-fade, its text is paler than it will be.
    await page.waitForFunction(`(() => {
      for (let el = document.querySelector('[role="dialog"]'); el; el = el.parentElement) if (getComputedStyle(el).opacity !== '1') return false;
      return true;
    })()`);
    await accessible('stack-remove-confirm');
    await dialog.getByRole('button', { name: 'Remove stack' }).click();
    await page.getByRole('heading', { name: 'Stacks' }).waitFor();
    await page.getByText('0 stacks').waitFor();
    assert.deepEqual(await cluster.api<unknown[]>('GET', `/services?filters=${encodeURIComponent(JSON.stringify({ label: ['com.docker.stack.namespace=shop'] }))}`), []);
    await accessible('stacks-empty');
  });
});
