// The registry in the portal, in a real Chromium against a real `berth up`: an image pushed with
// podman shows in the registry pages (repository, tags, digest, pull command), a tag deleted there
// is gone; a service pinned to the tag's digest shows "update available" once a new digest is
// pushed to the tag, and its Update button moves it there. Every registry page passes axe.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { Page } from 'playwright-core';
import { TEST_IMAGE } from '../helpers/engine.js';
import { newPage, PHONE, screenshot } from '../helpers/browser.js';
import { ADMIN_PASSWORD, describeViolations, seriousViolations, signIn, startPortalCluster, waitFor, type PortalCluster } from '../helpers/portal.js';

const REPOSITORY = 'library/portal-app';

/** push sends the test image to the cluster's registry in a manifest format of podman's: each format is another digest. */
function push(registry: string, tag: string, format: 'v2s2' | 'oci'): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('podman', ['push', '--quiet', '--tls-verify=false', '--creds', `admin:${ADMIN_PASSWORD}`, '--format', format, TEST_IMAGE, `${registry}/${REPOSITORY}:${tag}`], (err, _out, stderr) =>
      err ? reject(new Error(`podman push: ${stderr || err.message}`)) : resolve(),
    ),
  );
}

/** accessible fails naming every serious or critical axe violation on the page, after a screenshot of it. */
async function checked(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  const violations = await seriousViolations(page);
  assert.deepEqual(violations, [], `${name}:\n${describeViolations(violations)}`);
}

describe('portal: the registry', { timeout: 300_000 }, () => {
  let cluster: PortalCluster;
  const tagDigest = async (tag: string): Promise<string | undefined> => {
    const artifacts = await cluster.api<Array<{ Digest: string; Tags: Array<{ Name: string }> }>>('GET', `/berth/v1/registry/projects/library/repositories/${encodeURIComponent(REPOSITORY)}/artifacts`);
    return artifacts.find((a) => a.Tags.some((t) => t.Name === tag))?.Digest;
  };

  before(async () => {
    cluster = await startPortalCluster('registry');
  });
  after(async () => {
    await cluster?.stop();
  });

  test('an image pushed with podman is in the registry pages with its tags, digest and pull command; a tag deleted there is gone', async () => {
    await push(cluster.registry, '1', 'v2s2');
    await push(cluster.registry, 'extra', 'v2s2');
    const digest = (await tagDigest('1'))!;
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);

    const { context, page } = await newPage(cluster.browser);
    try {
      await signIn(page, cluster.base);
      await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Registry' }).click();
      await page.getByRole('link', { name: 'library', exact: true }).waitFor();
      await checked(page, 'registry-projects');
      await page.getByRole('link', { name: 'library', exact: true }).click();
      await page.getByRole('link', { name: REPOSITORY }).click();

      await page.getByLabel(`Digest ${digest}`).waitFor();
      const pull = `docker pull ${cluster.registry}/${REPOSITORY}:1`;
      await page.getByText(pull, { exact: true }).waitFor();
      await page.getByRole('button', { name: 'Copy the pull command of 1' }).waitFor();
      await page.getByText('extra', { exact: true }).waitFor();
      await checked(page, 'registry-repository');

      await page.getByRole('button', { name: 'Delete tag extra' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete tag' }).click();
      await page.getByText('extra', { exact: true }).waitFor({ state: 'detached' });
      await page.getByText(pull, { exact: true }).waitFor();
      assert.equal(await tagDigest('extra'), undefined, 'the registry has no tag extra any more');
      assert.equal(await tagDigest('1'), digest, 'the artifact stays under its other tag');

      // Each tab of the project, and the system administrator's pages.
      await page.getByRole('link', { name: 'library', exact: true }).click();
      for (const tab of ['Members', 'Robot accounts', 'Policies', 'Webhooks']) {
        await page.getByRole('tab', { name: tab }).click();
        await page.getByRole('tabpanel').getByRole('table').or(page.getByRole('tabpanel').getByRole('heading').first()).first().waitFor();
        await checked(page, `registry-project-${tab.toLowerCase().replace(/ /g, '-')}`);
      }
      await page.getByRole('tab', { name: 'Robot accounts' }).click();
      await page.getByRole('textbox', { name: 'Name' }).fill('ci');
      await page.getByRole('button', { name: 'Create', exact: true }).click();
      const secret = page.getByRole('dialog').getByRole('textbox', { name: 'Secret' });
      assert.match(await secret.inputValue(), /^\S{20,}$/, 'the secret is shown once');
      await checked(page, 'registry-robot-created');
      await page.keyboard.press('Escape');
      await page.getByText('robot$library+ci').waitFor();

      await page.goto(`${cluster.base}/ui/registry/replication`);
      await page.getByRole('heading', { name: 'Registries' }).waitFor();
      await checked(page, 'registry-replication');
      await page.goto(`${cluster.base}/ui/registry/gc`);
      await page.getByRole('button', { name: 'Start a run' }).click();
      await page.getByRole('cell', { name: /succeeded/ }).first().waitFor();
      await checked(page, 'registry-gc');
      await page.goto(`${cluster.base}/ui/`);
      await page.getByRole('heading', { name: 'Registry' }).waitFor();
      await page.getByText(/used by \d+ projects? of yours/).waitFor();
      await checked(page, 'registry-dashboard');
    } finally {
      await context.close();
    }

    const phone = await newPage(cluster.browser, PHONE);
    try {
      await signIn(phone.page, cluster.base, 'admin', ADMIN_PASSWORD, `/ui/registry/projects/library/repositories/${REPOSITORY}`);
      await phone.page.getByLabel(`Digest ${digest}`).waitFor();
      await checked(phone.page, 'registry-repository-phone');
    } finally {
      await phone.context.close();
    }
  });

  test('a service pinned to a digest of a tag shows "update available" once the tag moves, and its Update button moves the service there', async () => {
    const old = (await tagDigest('1'))!;
    await cluster.api('POST', '/services/create', {
      Name: 'portal-app',
      TaskTemplate: { ContainerSpec: { Image: `${cluster.registry}/${REPOSITORY}:1@${old}`, Command: ['sleep', '600'] } },
      Mode: { Replicated: { Replicas: 1 } },
    });
    type Task = { Status: { State: string; Err?: string }; DesiredState: string; Spec: { ContainerSpec: { Image: string } } };
    const running = async (digest: string): Promise<boolean> => {
      const tasks = await cluster.api<Task[]>('GET', `/tasks?filters=${encodeURIComponent(JSON.stringify({ service: ['portal-app'] }))}`);
      const failed = tasks.find((t) => t.Status.Err);
      if (failed) throw new Error(`a task failed: ${failed.Status.Err}`);
      return tasks.some((t) => t.Status.State === 'running' && t.DesiredState === 'running' && t.Spec.ContainerSpec.Image.endsWith(digest));
    };
    await waitFor(() => running(old), 90_000, 'the service to run the pushed image');

    await push(cluster.registry, '1', 'oci');
    const now = (await tagDigest('1'))!;
    assert.notEqual(now, old, 'the tag points at another digest');

    const { context, page } = await newPage(cluster.browser);
    try {
      await signIn(page, cluster.base, 'admin', ADMIN_PASSWORD, '/ui/services');
      const row = page.getByRole('row', { name: /portal-app/ });
      await row.getByText('update available').waitFor();
      await checked(page, 'registry-update-available-list');
      await row.getByRole('link', { name: 'portal-app' }).click();
      await page.getByText('update available').waitFor();
      await checked(page, 'registry-update-available-service');
      await page.getByRole('button', { name: 'Update portal-app to the new digest' }).click();
      await page.getByText(`${cluster.registry}/${REPOSITORY}:1@${now}`).waitFor();
      await page.getByText('update available').waitFor({ state: 'detached' });
      await waitFor(() => running(now), 90_000, 'the service to converge on the new digest');
      await page.reload();
      await page.getByRole('row', { name: /running/ }).first().waitFor();
      await screenshot(page, 'registry-updated-service');
    } finally {
      await context.close();
    }
  });
});
