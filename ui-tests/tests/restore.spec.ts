/**
 * Views that last (issues 17.6, 18.5): checkpoint, diff, run and compare tabs come back
 * after a reload, the history filters persist in the settings, and the address bar holds
 * the active tab's deep link, which each tab's "Copy link" copies.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';

import {
  checkpoint,
  code,
  entry,
  notebook,
  openSidebar,
  writeNotebook
} from './helpers';
import { command, fixture, project } from './runsFixtures';

/**
 * Reload the lab, at `search` when given (`?mltrack-run=...`). Galata's own reload waits
 * for the Launcher to be active, which a restored layout without one never is.
 */
async function reload(page: Page, search?: string): Promise<void> {
  if (search !== undefined) {
    await page.evaluate(s => window.history.replaceState(null, '', s), search);
  }
  await page.reload({ waitForIsReady: false });
  await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
}

/** The saved workspace (layout and state database), as JSON text. */
function workspace(page: Page): () => Promise<string> {
  return () =>
    page.evaluate(async () => {
      const response = await fetch('/lab/api/workspaces/default');
      return JSON.stringify(await response.json());
    });
}

test.describe('views that last', () => {
  test('checkpoint, diff, run and compare tabs come back after a reload', async ({
    page,
    request,
    tmpPath
  }) => {
    const path = `${tmpPath}/kept.ipynb`;
    await writeNotebook(request, path, notebook([code('lr = 0.1')]));
    const a = await checkpoint(request, path, 'kept one');
    await writeNotebook(request, path, notebook([code('lr = 0.05')]));
    const b = await checkpoint(request, path, 'kept two');
    const { ids } = await fixture<{ ids: string[] }>(
      request,
      'runs',
      '--project',
      project('ui-restore')
    );

    await command(page, 'mltrack:open-checkpoint', { id: a.id });
    await command(page, 'mltrack:compare-checkpoints', {
      base: a.id,
      remote: b.id
    });
    await command(page, 'mltrack:open-run', { id: ids[0] });
    await command(page, 'mltrack:compare-runs', { ids: [ids[0], ids[1]] });
    const tabs = {
      checkpoint: page.locator(`#mltrack-checkpoint-${a.id}`),
      diff: page.locator(`#mltrack-diff-${a.id}-${b.id}`),
      run: page.locator(`#mltrack-run-${ids[0]}`),
      compare: page.locator(`#mltrack-compare-${ids[0]}-${ids[1]}`)
    };
    for (const tab of Object.values(tabs)) {
      await expect(tab).toHaveCount(1);
    }
    // The compare tab is active: its link is in the address bar.
    await expect
      .poll(() => new URL(page.url()).searchParams.get('mltrack-compare'))
      .toBe(`${ids[0]},${ids[1]}`);

    // The workspace is saved a moment after a change (debounced): wait for our trackers.
    await expect
      .poll(() =>
        page.evaluate(async () => {
          const response = await fetch('/lab/api/workspaces/default');
          return JSON.stringify(await response.json());
        })
      )
      .toMatch(
        /mltrack-checkpoint:.*mltrack-diff:|mltrack-diff:.*mltrack-checkpoint:/
      );
    await reload(page);
    for (const tab of Object.values(tabs)) {
      await expect(tab).toHaveCount(1, { timeout: 20000 });
    }
    // One of each: the link in the URL reveals the restored tab, not a second one.
    await expect(page.locator('.jp-mltrack-compare')).toHaveCount(1);
    // Restored tabs load their content again.
    await page
      .locator(`.lm-TabBar-tab[data-id="mltrack-checkpoint-${a.id}"]`)
      .click();
    const viewer = tabs.checkpoint.locator('.jp-mltrack-viewer');
    await expect(viewer).toHaveAttribute('data-state', 'ready');
    await expect(viewer.locator('.jp-mltrack-viewer-name')).toHaveText(
      'kept one'
    );
    await page
      .locator(`.lm-TabBar-tab[data-id="mltrack-diff-${a.id}-${b.id}"]`)
      .click();
    await expect(
      tabs.diff.locator('.jp-mltrack-diff-remote .jp-mltrack-diff-name')
    ).toHaveText('kept two');
    await page
      .locator(`.lm-TabBar-tab[data-id="mltrack-run-${ids[0]}"]`)
      .click();
    await expect(tabs.run.locator('.jp-mltrack-run-name')).toHaveText('alpha');
  });

  test('the address bar follows the active tab, and links open their tab', async ({
    page,
    request,
    tmpPath
  }) => {
    const path = `${tmpPath}/linked.ipynb`;
    await writeNotebook(request, path, notebook([code('lr = 0.1')]));
    const a = await checkpoint(request, path, 'link one');
    await writeNotebook(request, path, notebook([code('lr = 0.2')]));
    const b = await checkpoint(request, path, 'link two');
    const { ids } = await fixture<{ ids: string[] }>(
      request,
      'runs',
      '--project',
      project('ui-links')
    );
    const param = (name: string) => () =>
      new URL(page.url()).searchParams.get(name);

    await page.notebook.openByPath(path);
    await openSidebar(page);
    await entry(page, 'link one').locator('[data-action="open"]').click();
    await expect.poll(param('mltrack-checkpoint')).toBe(a.id);

    await command(page, 'mltrack:compare-checkpoints', {
      base: a.id,
      remote: b.id
    });
    await expect.poll(param('mltrack-diff')).toBe(`${a.id}..${b.id}`);
    await expect.poll(param('mltrack-checkpoint')).toBeNull();
    // "Copy link" on the tab copies that link.
    await page
      .context()
      .grantPermissions(['clipboard-read', 'clipboard-write']);
    await page
      .locator(`#mltrack-diff-${a.id}-${b.id} .jp-mltrack-copy-link`)
      .click();
    await expect
      .poll(() => page.evaluate(() => navigator.clipboard.readText()))
      .toContain(`?mltrack-diff=${a.id}..${b.id}`);

    // Back to the notebook: no ML Track link in the address bar.
    await page.getByRole('tab', { name: 'linked.ipynb', exact: true }).click();
    await expect.poll(param('mltrack-diff')).toBeNull();

    // A run link opens the run and stays while its tab is active.
    await reload(page, `?mltrack-run=${ids[0]}`);
    const run = page.locator(`#mltrack-run-${ids[0]}`);
    await expect(run.locator('.jp-mltrack-run-name')).toHaveText('alpha');
    await expect.poll(param('mltrack-run')).toBe(ids[0]);
    await page.locator(`#mltrack-run-${ids[0]} .jp-mltrack-copy-link`).click();
    await expect
      .poll(() => page.evaluate(() => navigator.clipboard.readText()))
      .toContain(`?mltrack-run=${ids[0]}`);

    // A compare link, and the runs table's (with its query).
    await reload(page, `?mltrack-compare=${ids[0]},${ids[1]}`);
    await expect(
      page.locator(`#mltrack-compare-${ids[0]}-${ids[1]}`)
    ).toBeVisible();
    await expect.poll(param('mltrack-compare')).toBe(`${ids[0]},${ids[1]}`);
    await reload(page, `?mltrack-runs=${encodeURIComponent('name = "alpha"')}`);
    await expect(page.locator('#mltrack-runs')).toBeVisible();
    await expect.poll(param('mltrack-runs')).toBe('name = "alpha"');
  });

  test('the history filters survive a reload', async ({
    page,
    request,
    tmpPath
  }) => {
    const path = `${tmpPath}/filters.ipynb`;
    await writeNotebook(request, path, notebook([code('a = 1')]));
    await checkpoint(request, path, 'filtered');
    await page.notebook.openByPath(path);
    await openSidebar(page);
    const sidebar = page.locator('#mltrack-sidebar');
    await sidebar.getByLabel('All notebooks').check();
    await sidebar.getByLabel('Save checkpoints').uncheck();
    await expect(sidebar.locator('.jp-mltrack-following')).toContainText(
      'All notebooks'
    );

    await reload(page);
    await openSidebar(page);
    await expect(sidebar.getByLabel('All notebooks')).toBeChecked();
    await expect(sidebar.getByLabel('Save checkpoints')).not.toBeChecked();
    await expect(sidebar.locator('.jp-mltrack-following')).toContainText(
      'All notebooks'
    );
  });

  test('the ML Track panel reopens on the section left', async ({ page }) => {
    await openSidebar(page);
    const panel = page.locator('#mltrack-panel');
    await panel.getByRole('tab', { name: 'Runs' }).click();
    await expect(page.locator('#mltrack-runs-sidebar')).toBeVisible();
    await expect
      .poll(workspace(page), { timeout: 20000 })
      .toContain(
        '"jupyter-mltrack:panel:section":{"section":"mltrack-runs-sidebar"}'
      );

    await reload(page);
    if (!(await panel.isVisible())) {
      await page
        .locator('.jp-SideBar.jp-mod-left [data-id="mltrack-panel"]')
        .click();
    }
    await expect(panel.getByRole('tab', { name: 'Runs' })).toHaveAttribute(
      'aria-selected',
      'true'
    );
    await expect(page.locator('#mltrack-runs-sidebar')).toBeVisible();
    await expect(page.locator('#mltrack-sidebar')).toBeHidden();
  });

  test('a runs table tab comes back with its sort and selection', async ({
    page,
    request
  }) => {
    const name = project('ui-restore-sort');
    const { ids } = await fixture<{ ids: string[] }>(
      request,
      'runs',
      '--project',
      name
    );
    await command(page, 'mltrack:open-runs-table', {
      query: `sys/project = "${name}"`
    });
    const table = page.locator('#mltrack-runs-table');
    const rows = table.locator(
      '.jp-mltrack-grid-row:not(.jp-mltrack-placeholder)'
    );
    await expect(rows).toHaveCount(3);
    const nameHeader = table.locator(
      '.jp-mltrack-grid-hcell[data-column="sys/name"]'
    );
    await nameHeader.click();
    await nameHeader.click();
    await expect(nameHeader).toHaveAttribute('aria-sort', 'descending');
    await rows.nth(0).locator('[data-column="sys/name"]').click();
    await rows
      .nth(2)
      .locator('[data-column="sys/name"]')
      .click({ modifiers: ['Control'] });
    await expect(table.locator('.jp-mltrack-runs-status')).toHaveText(
      '3 runs, 2 selected'
    );
    await expect
      .poll(workspace(page), { timeout: 20000 })
      .toContain('"sort":"-sys/name"');
    await expect
      .poll(workspace(page), { timeout: 20000 })
      .toContain(`"${ids[0]}"`);

    await reload(page);
    await page.locator('.lm-TabBar-tab[data-id="mltrack-runs"]').click();
    await expect(rows.locator('[data-column="sys/name"]')).toHaveText(
      ['gamma', 'beta', 'alpha'],
      { timeout: 20000 }
    );
    await expect(nameHeader).toHaveAttribute('aria-sort', 'descending');
    await expect(table.locator('.jp-mltrack-runs-status')).toHaveText(
      '3 runs, 2 selected'
    );
    await expect(
      table.locator(
        '.jp-mltrack-grid-row.jp-mod-selected [data-column="sys/name"]'
      )
    ).toHaveText(['gamma', 'alpha']);
  });

  test('a run view keeps its open sections; the chart preferences hold for every chart', async ({
    page,
    request
  }) => {
    const { ids } = await fixture<{ ids: string[] }>(
      request,
      'runs',
      '--project',
      project('ui-restore-run')
    );
    await command(page, 'mltrack:open-run', { id: ids[0] });
    const run = page.locator(`#mltrack-run-${ids[0]}`);
    await expect(run.locator('.jp-mltrack-run-name')).toHaveText('alpha');
    const bar = run.locator('.jp-mltrack-run-metric-charts');
    await bar.locator('.jp-mltrack-x-axis').selectOption('relative');
    await bar.locator('.jp-mltrack-log-scale').check();
    const smoothing = bar.locator('.jp-mltrack-smoothing');
    await smoothing.fill('0.6');
    await smoothing.dispatchEvent('change');
    const console_ = run.locator('details.jp-mltrack-run-console');
    await console_.locator('summary').click();
    await expect(console_).toHaveAttribute('open', '');
    await expect
      .poll(workspace(page), { timeout: 20000 })
      .toContain('"open":["console"]');

    await reload(page);
    await page
      .locator(`.lm-TabBar-tab[data-id="mltrack-run-${ids[0]}"]`)
      .click();
    await expect(run.locator('.jp-mltrack-run-name')).toHaveText('alpha', {
      timeout: 20000
    });
    await expect(console_).toHaveAttribute('open', '');
    await expect(
      run.locator('details.jp-mltrack-run-fields')
    ).not.toHaveAttribute('open', '');
    await expect(bar.locator('.jp-mltrack-x-axis')).toHaveValue('relative');
    await expect(bar.locator('.jp-mltrack-log-scale')).toBeChecked();
    await expect(smoothing).toHaveValue('0.6');
    // Global preferences: another run's view draws its charts the same way.
    await command(page, 'mltrack:open-run', { id: ids[1] });
    const other = page.locator(
      `#mltrack-run-${ids[1]} .jp-mltrack-run-metric-charts`
    );
    await expect(other.locator('.jp-mltrack-x-axis')).toHaveValue('relative');
    await expect(other.locator('.jp-mltrack-log-scale')).toBeChecked();
    await expect(
      page.locator(`#mltrack-run-${ids[1]} details.jp-mltrack-run-console`)
    ).not.toHaveAttribute('open', '');
  });

  test("the timeline's preview comes back on the same checkpoint", async ({
    page,
    request,
    tmpPath
  }) => {
    const path = `${tmpPath}/scrubbed.ipynb`;
    await writeNotebook(request, path, notebook([code('step = 1')]));
    const a = await checkpoint(request, path, 'first');
    await writeNotebook(request, path, notebook([code('step = 2')]));
    const b = await checkpoint(request, path, 'second');
    await command(page, 'mltrack:timeline-preview', { id: a.id });
    const preview = page.locator('#mltrack-timeline');
    await expect(
      preview.locator('.jp-mltrack-timeline-preview')
    ).toHaveAttribute('data-id', a.id);
    await expect
      .poll(workspace(page), { timeout: 20000 })
      .toContain('mltrack-timeline:mltrack-timeline');

    await reload(page);
    await expect(
      preview.locator('.jp-mltrack-timeline-preview')
    ).toHaveAttribute('data-id', a.id, { timeout: 20000 });
    await page.locator('.lm-TabBar-tab[data-id="mltrack-timeline"]').click();
    await expect(preview.locator('.jp-mltrack-viewer')).toContainText(
      'step = 1'
    );
    // Its link is its own: a reload on it shows the preview, not a checkpoint tab.
    await expect
      .poll(() => new URL(page.url()).searchParams.get('mltrack-timeline'))
      .toBe(a.id);
    // The scrubber's handle is back on it too, once the notebook's history is listed.
    await command(page, 'docmanager:open', { path });
    await expect(
      page.getByRole('tab', { name: 'scrubbed.ipynb', exact: true })
    ).toBeVisible();
    await openSidebar(page);
    await expect(
      page.locator(
        '#mltrack-sidebar .jp-mltrack-timeline-handle[data-handle="to"]'
      )
    ).toHaveAttribute('data-id', a.id);
    await reload(page, `?mltrack-timeline=${b.id}`);
    await expect(
      preview.locator('.jp-mltrack-timeline-preview')
    ).toHaveAttribute('data-id', b.id, { timeout: 20000 });
    await expect(page.locator('.jp-mltrack-timeline-preview')).toHaveCount(1);
    await expect(page.locator(`#mltrack-checkpoint-${b.id}`)).toHaveCount(0);
  });

  test('a compare tab keeps its toggles', async ({ page, request }) => {
    const { ids } = await fixture<{ ids: string[] }>(
      request,
      'runs',
      '--project',
      project('ui-restore-compare')
    );
    await command(page, 'mltrack:compare-runs', { ids: [ids[0], ids[2]] });
    const view = page.locator(`#mltrack-compare-${ids[0]}-${ids[2]}`);
    const params = view.locator('.jp-mltrack-params');
    await expect(params.locator('tr[data-path="params/epochs"]')).toBeVisible();
    await view.getByLabel('Differences only').check();
    await expect(params.locator('tr[data-path="params/epochs"]')).toHaveCount(
      0
    );
    await view.locator('.jp-mltrack-diff-kind').selectOption('start');
    const metric = view.locator('.jp-mltrack-parallel-metric');
    await metric.selectOption('metrics/f1');
    await expect
      .poll(workspace(page), { timeout: 20000 })
      .toMatch(
        /"diffOnly":true.*"checkpoints":"start".*"metric":"metrics\/f1"/
      );

    await reload(page);
    await page
      .locator(`.lm-TabBar-tab[data-id="mltrack-compare-${ids[0]}-${ids[2]}"]`)
      .click();
    await expect(view.getByLabel('Differences only')).toBeChecked({
      timeout: 20000
    });
    await expect(params.locator('tr[data-path="params/lr"]')).toBeVisible();
    await expect(params.locator('tr[data-path="params/epochs"]')).toHaveCount(
      0
    );
    await expect(view.locator('.jp-mltrack-diff-kind')).toHaveValue('start');
    await expect(metric).toHaveValue('metrics/f1');
    await expect(
      view.locator('.jp-mltrack-parallel-axis').last()
    ).toHaveAttribute('data-path', 'metrics/f1');
  });
});
