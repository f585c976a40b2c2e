import { expect, test } from '@jupyterlab/galata';

import { code, notebook, writeNotebook } from './helpers';
import { fixture, project } from './runsFixtures';

test.describe('ML Track panel', () => {
  test('one left panel with labelled Checkpoints and Runs sections', async ({
    page
  }) => {
    const tab = page.locator(
      '.jp-SideBar.jp-mod-left [data-id="mltrack-panel"]'
    );
    await expect(tab).toHaveAttribute('title', 'ML Track');
    // One ML Track entry in the left bar: the runs are a section, not a second panel.
    await expect(
      page.locator('.jp-SideBar.jp-mod-left [data-id="mltrack-runs-sidebar"]')
    ).toHaveCount(0);
    await tab.click();

    const panel = page.locator('#mltrack-panel');
    await expect(panel).toBeVisible();
    await expect(panel.locator('.jp-mltrack-panel-title')).toHaveText(
      'ML Track'
    );
    await expect(panel.getByRole('tab')).toHaveText(['Checkpoints', 'Runs']);
    await expect(
      panel.getByRole('tab', { name: 'Checkpoints' })
    ).toHaveAttribute('aria-selected', 'true');
    const checkpoints = panel.locator('#mltrack-sidebar');
    await expect(checkpoints).toBeVisible();
    await expect(checkpoints.locator('.jp-mltrack-store')).toContainText(
      'mltrack.db'
    );
    await expect(
      checkpoints.locator('.jp-mltrack-schema-revision')
    ).not.toHaveText('—');
    await expect(checkpoints.locator('.jp-mltrack-empty')).toContainText(
      'Open a notebook'
    );
    const runs = panel.locator('#mltrack-runs-sidebar');
    await expect(runs).toBeHidden();

    await panel.getByRole('tab', { name: 'Runs' }).click();
    await expect(runs).toBeVisible();
    await expect(checkpoints).toBeHidden();
    await expect(runs.locator('.jp-mltrack-runs-sidebar-path')).toContainText(
      'Open a notebook'
    );
  });

  test('opens from the command palette', async ({ page }) => {
    await expect(page.locator('#mltrack-sidebar')).toBeHidden();

    await page.keyboard.press('Control+Shift+C');
    const palette = page.locator('#command-palette');
    await palette.locator('.lm-CommandPalette-input').fill('ML Track: Open');
    const item = palette.locator('.lm-CommandPalette-item', {
      hasText: 'ML Track: Open panel'
    });
    await expect(item).toHaveCount(1);
    await item.click();

    await expect(page.locator('#mltrack-sidebar')).toBeVisible();
    await expect(
      page.locator('#mltrack-sidebar .jp-mltrack-store')
    ).toContainText('mltrack.db');
  });

  test('the run badge of a checkpoint opens the run', async ({
    page,
    request,
    tmpPath
  }) => {
    const { ids } = await fixture<{ ids: string[] }>(
      request,
      'runs',
      '--project',
      project('ui-badge')
    );
    const path = `${tmpPath}/badge.ipynb`;
    await writeNotebook(request, path, notebook([code('lr = 0.1')]));
    const response = await request.post('/mltrack/api/checkpoints', {
      data: { path, run_id: ids[0], trigger: 'run' }
    });
    expect(response.status()).toBe(201);
    await page.notebook.openByPath(path);
    await page
      .locator('.jp-SideBar.jp-mod-left [data-id="mltrack-panel"]')
      .click();
    const badge = page.locator(
      `#mltrack-sidebar .jp-mltrack-run[data-run="${ids[0]}"]`
    );
    await expect(badge).toHaveText(`${ids[0]} finished`);
    await expect(badge).toHaveRole('button');
    await badge.click();
    await expect(
      page.locator(`#mltrack-run-view-${ids[0]} .jp-mltrack-run-name`)
    ).toHaveText('alpha');
  });
});
