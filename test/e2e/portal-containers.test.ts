// The portal's containers pages in a real Chromium against a real `berth up` (docs/portal.md,
// "Containers and exec"): the cluster's task containers listed with their filters in the URL (on
// a phone too), a container's page with its facts and live logs (no console for a viewer), and a
// shell in the browser — `echo` typed or pasted into the console comes back through the exec
// WebSocket, and the exit code shows.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { newPage, PHONE, screenshot } from '../helpers/browser.js';
import { TEST_IMAGE } from '../helpers/engine.js';
import { describeViolations, seriousViolations, signIn, startPortalCluster, waitFor, type PortalCluster } from '../helpers/portal.js';

describe('the portal: containers and exec', { timeout: 300_000 }, () => {
  let cluster: PortalCluster;
  let admin: Page;
  let serviceId = '';
  let name = '';
  let containerId = '';

  const noViolations = async (page: Page, what: string) => {
    const found = await seriousViolations(page);
    assert.deepEqual(found, [], `${what}:\n${describeViolations(found)}`);
  };

  before(async () => {
    cluster = await startPortalCluster('containers');
    serviceId = (await cluster.api<{ ID: string }>('POST', '/services/create', { Name: 'shell', TaskTemplate: { ContainerSpec: { Image: TEST_IMAGE, Command: ['sh', '-c', 'echo portal-log-line; exec sleep 600'] } }, Mode: { Replicated: { Replicas: 1 } } })).ID;
    await waitFor(async () => {
      const running = (await cluster.api<Array<{ Id: string; Names: string[]; State: string }>>('GET', '/containers/json')).find((c) => c.State === 'running');
      [containerId, name] = [running?.Id ?? '', running?.Names[0]?.slice(1) ?? ''];
      return name !== '';
    }, 90_000, 'the task container running');
    const { context, page } = await newPage(cluster.browser);
    // The console's Paste button reads the clipboard.
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: cluster.base });
    admin = page;
  });

  after(async () => {
    await cluster?.stop();
  });

  test('the list shows every node\'s task containers as NODE/service.slot.task, filtered through the URL', async () => {
    await signIn(admin, cluster.base, undefined, undefined, '/ui/containers');
    await admin.getByRole('heading', { name: 'Containers' }).waitFor();
    await admin.getByRole('link', { name }).waitFor();
    assert.match(name, /^portal-containers\/shell\.1\.\w+$/);
    await noViolations(admin, 'containers');
    await screenshot(admin, 'containers');
    // A filter is a link: the same URL shows the same list.
    await admin.goto(`${cluster.base}/ui/containers?service=${serviceId}&state=exited`);
    await admin.getByText('0 of 1 containers').waitFor();
    await admin.goto(`${cluster.base}/ui/containers?service=${serviceId}&state=running`);
    await admin.getByRole('link', { name }).waitFor();

    const { context, page: phone } = await newPage(cluster.browser, PHONE);
    try {
      await signIn(phone, cluster.base, undefined, undefined, '/ui/containers');
      await phone.getByRole('link', { name }).waitFor();
      await noViolations(phone, 'containers on a phone');
      await screenshot(phone, 'containers-phone');
    } finally {
      await context.close();
    }
  });

  test('a container\'s page: its facts, its live logs, its processes', async () => {
    await admin.goto(`${cluster.base}/ui/containers`);
    await admin.getByRole('link', { name }).click();
    await admin.getByRole('heading', { name: new RegExp(name.replace(/\./g, '\\.')) }).waitFor();
    await admin.getByRole('row', { name: /Node portal-containers/ }).waitFor();
    await noViolations(admin, 'container');
    await screenshot(admin, 'container');

    await admin.getByRole('tab', { name: 'Logs' }).click();
    await admin.getByRole('log', { name: 'Logs' }).getByText('portal-log-line').waitFor({ timeout: 30_000 });
    assert.match(new URL(admin.url()).search, /tab=logs/);
    await noViolations(admin, 'container logs');
    await screenshot(admin, 'container-logs');

    await admin.getByRole('tab', { name: 'Processes' }).click();
    await admin.getByRole('cell', { name: /sleep 600/ }).waitFor();
    // The live chart draws the stats stream's samples as they come (one a second).
    await admin.locator('[data-testid=usage-chart][data-samples="3"]').waitFor({ timeout: 20_000 });
    assert.match(await admin.getByText(/^Live, the last 60 seconds: CPU/).innerText(), /memory \d+(\.\d)? MiB/);
    await noViolations(admin, 'container processes');
    await screenshot(admin, 'container-processes');

    const { context, page: phone } = await newPage(cluster.browser, PHONE);
    try {
      await signIn(phone, cluster.base, undefined, undefined, `/ui/containers/${containerId}?tab=console`);
      await phone.getByRole('button', { name: 'Connect' }).waitFor();
      await noViolations(phone, 'container console on a phone');
      const overflow = (await phone.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
      assert.ok(overflow <= 0, `the container page is ${overflow}px wider than the phone`);
      await screenshot(phone, 'container-console-phone');
    } finally {
      await context.close();
    }

    // A viewer reads the container but is offered no console (the API would refuse the exec).
    await cluster.api('POST', '/berth/v1/users', { Name: 'watcher', Password: 'Watcher-pass-1', Role: 'viewer' });
    const viewer = await newPage(cluster.browser);
    try {
      await signIn(viewer.page, cluster.base, 'watcher', 'Watcher-pass-1', `/ui/containers/${containerId}?tab=console`);
      await viewer.page.getByRole('tab', { name: 'Logs' }).waitFor();
      assert.equal(await viewer.page.getByRole('tab', { name: 'Console' }).count(), 0);
      assert.equal(await viewer.page.getByRole('button', { name: 'Connect' }).count(), 0);
    } finally {
      await viewer.context.close();
    }
  });

  test('the console: a shell over the exec WebSocket runs echo, and shows the exit code', async () => {
    await admin.getByRole('tab', { name: 'Console' }).click();
    await admin.getByRole('button', { name: 'Connect' }).click();
    await admin.getByRole('status').getByText('Connected: sh.').waitFor();
    await admin.keyboard.type('echo hello-from-portal\n');
    // The command line echoes it too: the output is the row that holds it alone.
    await admin.locator('.xterm-rows > div', { hasText: /^\s*hello-from-portal\s*$/ }).waitFor();
    await noViolations(admin, 'container console');
    await screenshot(admin, 'container-console');
    // Paste from the clipboard; the shell computes what only its output can show.
    await admin.evaluate(`navigator.clipboard.writeText(${JSON.stringify('echo pasted-$((40+2))\n')})`);
    await admin.getByRole('button', { name: 'Paste' }).click();
    await admin.locator('.xterm-rows > div', { hasText: /^\s*pasted-42\s*$/ }).waitFor();
    // Tab belongs to the shell; Shift+Escape hands the keyboard back to the page.
    await admin.locator('.xterm').click();
    await admin.keyboard.press('Shift+Escape');
    assert.equal(await admin.evaluate('document.activeElement?.textContent'), 'Disconnect');
    await admin.locator('.xterm').click();
    await admin.keyboard.type('exit 3\n');
    await admin.getByRole('status').getByText('The shell exited with code 3.').waitFor();
    const audit = await cluster.api<Array<{ Path: string; Status: number; Command?: string[] }>>('GET', '/berth/v1/audit?action=exec.start');
    assert.ok(audit.some((e) => e.Path.startsWith('/berth/v1/exec/') && e.Status === 101 && e.Command?.[0] === 'sh'), 'the console\'s exec is in the audit log');
  });
});
