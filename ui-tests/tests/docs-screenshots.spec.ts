/**
 * The screenshots of the docs (docs/img/panel.png, docs/img/compare.png), taken from the
 * real lab. Collected only with MLTRACK_SCREENSHOTS=1 (`make screenshots`; the config leaves
 * out the @docs-screenshot tag otherwise): they are pictures for people, not checks, and
 * rewriting tracked images on every test run would only make noise.
 *
 *   cd ui-tests && MLTRACK_SCREENSHOTS=1 jlpm playwright test tests/docs-screenshots.spec.ts
 */
import * as path from 'path';

import { expect, test } from '@jupyterlab/galata';

import { code, notebook, writeNotebook } from './helpers';
import { command, fixture, project } from './runsFixtures';

const IMG = path.resolve(__dirname, '..', '..', 'docs', 'img');

test.use({ viewport: { width: 1280, height: 1200 } });

test('docs screenshots: the ML Track panel and compare @docs-screenshot', async ({
  page,
  request,
  tmpPath
}) => {
  const { ids } = await fixture<{ ids: string[] }>(
    request,
    'runs',
    '--project',
    project('docs')
  );
  const file = `${tmpPath}/train.ipynb`;
  const post = async (data: Record<string, unknown>): Promise<string> => {
    const response = await request.post('/mltrack/api/checkpoints', {
      data: { path: file, ...data }
    });
    expect(response.status()).toBe(201);
    return ((await response.json()) as { id: string }).id;
  };
  for (const [i, lr] of ['0.1', '0.01', '0.001'].entries()) {
    const cells = [
      code('import jupyter_mltrack as mlt'),
      code(`lr = ${lr}`),
      code('train(lr)')
    ];
    await writeNotebook(request, file, notebook(cells));
    await post({ run_id: ids[i], trigger: 'run' });
    cells[2] = code('train(lr)', [
      {
        output_type: 'stream',
        name: 'stdout',
        text: `accuracy ${(0.85 + 0.03 * i).toFixed(2)}\n`
      }
    ]);
    await writeNotebook(request, file, notebook(cells));
    await post({ run_id: ids[i], trigger: 'run-end' });
  }
  await post({ name: 'baseline', description: 'before the sweep' });

  await page.notebook.openByPath(file);
  await expect(page.locator('.jp-Notebook .jp-Cell')).toHaveCount(3);
  await page
    .locator('.jp-SideBar.jp-mod-left [data-id="mltrack-panel"]')
    .click();
  await expect(
    page.locator('#mltrack-sidebar .jp-mltrack-checkpoint')
  ).toHaveCount(7);
  await page.screenshot({
    path: path.join(IMG, 'panel.png'),
    clip: { x: 0, y: 0, width: 1280, height: 800 }
  });

  await command(page, 'mltrack:compare-runs', { ids });
  const view = page.locator('.jp-mltrack-compare');
  await expect(view.locator('.jp-mltrack-chart')).toHaveCount(2);
  await expect(
    view.locator('.jp-mltrack-chart[data-field="train/loss"]')
  ).toHaveAttribute('data-points', '600');
  await view.getByLabel('Differences only').check();
  // The left panel closed: compare gets the width.
  await page
    .locator('.jp-SideBar.jp-mod-left [data-id="mltrack-panel"]')
    .click();
  await page.screenshot({ path: path.join(IMG, 'compare.png') });
});
