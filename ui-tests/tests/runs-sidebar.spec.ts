import { expect, test } from '@jupyterlab/galata';

import { code, notebook, writeNotebook } from './helpers';

test('the runs section lists the active notebook runs with their live state', async ({
  page,
  request,
  tmpPath
}) => {
  const path = `${tmpPath}/train.ipynb`;
  await writeNotebook(request, path, notebook([code(''), code('')]));
  await page.notebook.openByPath(path);
  // The runs are the "Runs" section of the one ML Track panel.
  await page
    .locator('.jp-SideBar.jp-mod-left [data-id="mltrack-panel"]')
    .click();
  await page
    .locator('#mltrack-panel')
    .getByRole('tab', { name: 'Runs' })
    .click();
  const section = page.locator('#mltrack-runs-sidebar');
  await expect(section.locator('.jp-mltrack-runs-sidebar-path')).toHaveText(
    path
  );
  await expect(section.locator('.jp-mltrack-empty')).toBeVisible();

  // One line (setCell auto-indents multi-line Python): a run started from the notebook.
  await page.notebook.setCell(
    0,
    'code',
    'import jupyter_mltrack as mlt; run = mlt.init_run(project="ui-side", name="from-nb", ' +
      'capture_hardware_metrics=False); print("RUN", run.id)'
  );
  await page.notebook.runCell(0);
  const output = page
    .locator('.jp-Cell')
    .nth(0)
    .locator('.jp-OutputArea-output');
  await expect(output.first()).toContainText('RUN', { timeout: 60000 });
  const id = /RUN (\S+)/.exec((await output.allInnerTexts()).join('\n'))![1];

  const item = section.locator(
    `.jp-mltrack-runs-sidebar-item[data-id="${id}"]`
  );
  await expect(item.locator('.jp-mltrack-run-name')).toHaveText('from-nb', {
    timeout: 15000
  });
  await expect(item.locator('.jp-mltrack-state')).toHaveText('running');

  await page.notebook.setCell(1, 'code', 'run.stop()');
  await page.notebook.runCell(1);
  await expect(item.locator('.jp-mltrack-state')).toHaveText('finished', {
    timeout: 15000
  });

  // The run's notebook link opens its checkpoint: the end one, with the results.
  await expect
    .poll(
      async () => {
        const response = await request.get(`/mltrack/api/runs/${id}`);
        const run = (await response.json()) as {
          end_checkpoint: { id: string } | null;
        };
        return run.end_checkpoint?.id ?? '';
      },
      { timeout: 15000 }
    )
    .not.toBe('');
  const detail = (await (
    await request.get(`/mltrack/api/runs/${id}`)
  ).json()) as { end_checkpoint: { id: string } };
  await item.locator('.jp-mltrack-run-notebook').click();
  await expect(
    page.locator(`#mltrack-checkpoint-${detail.end_checkpoint.id}`)
  ).toBeVisible();

  // A click elsewhere on the run opens the run view.
  await item.locator('.jp-mltrack-run-name').click();
  await expect(
    page.locator(`#mltrack-run-view-${id} .jp-mltrack-run-name`)
  ).toHaveText('from-nb');
});
