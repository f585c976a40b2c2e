/**
 * "Checkpoint on save" is a lab setting read through the settings registry; the lab sends
 * it to the server (`PUT /mltrack/api/lab-settings`), which takes save checkpoints from
 * the contents events. Galata keeps the test's user settings in the page, so no settings
 * file on the server's disk is involved: only what the lab sends can switch saves off.
 */
import { expect, test } from '@jupyterlab/galata';
import type { APIRequestContext, Page } from '@playwright/test';

import { code, history, notebook, writeNotebook } from './helpers';

async function setSaveCheckpoints(page: Page, value: boolean): Promise<void> {
  await page.evaluate(async value => {
    const registry = await window.galata.getPlugin(
      '@jupyterlab/apputils-extension:settings'
    );
    const settings = await registry!.load('jupyter-mltrack:plugin');
    await settings.set('saveCheckpoints', value);
  }, value);
}

async function serverSettings(request: APIRequestContext) {
  return (await request.get('/mltrack/api/lab-settings')).json();
}

test('the lab tells the server whether to checkpoint saves', async ({
  page,
  request,
  tmpPath
}) => {
  // The lab sent the settings it loaded.
  await expect
    .poll(() => serverSettings(request))
    .toEqual({ saveCheckpoints: true, source: 'lab' });

  await setSaveCheckpoints(page, false);
  await expect
    .poll(() => serverSettings(request))
    .toEqual({ saveCheckpoints: false, source: 'lab' });
  const path = `${tmpPath}/saves.ipynb`;
  await writeNotebook(request, path, notebook([code('x = "off"')]));

  await setSaveCheckpoints(page, true);
  await expect
    .poll(() => serverSettings(request))
    .toEqual({ saveCheckpoints: true, source: 'lab' });
  await writeNotebook(request, path, notebook([code('x = "on"')]));

  // Saves are handled in order: a checkpoint of the "off" save would be the older one.
  await expect.poll(async () => (await history(request, path)).length).toBe(1);
  const [only] = await history(request, path);
  expect(only.trigger).toBe('save');
  const full = await (
    await request.get(`/mltrack/api/checkpoints/${only.id}`)
  ).json();
  expect(full.content.cells[0].source).toBe('x = "on"');
});
