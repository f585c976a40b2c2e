/**
 * Issue 17, points 1, 2, 7 and 8 as a user meets them in the lab: one entry per moment (no
 * `save` twin of a manual or run checkpoint; the save retention described in the Settings
 * Editor), honest counts (against the previous entry as listed), a person's name as the
 * author, and `%mltrack` right after `import jupyter_mltrack`, left-aligned and monospace.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { APIRequestContext } from '@playwright/test';
import * as os from 'os';

import {
  checkpoint,
  code,
  entry,
  history,
  IEntry,
  notebook,
  openSidebar,
  writeNotebook
} from './helpers';

/** The history with saves, once it has stopped changing (a late save would land here). */
async function settledHistory(
  request: APIRequestContext,
  path: string
): Promise<IEntry[]> {
  let last = '';
  let items: IEntry[] = [];
  // Three reads 700 ms apart that agree: the save listener had its chance to add a twin.
  for (let same = 0; same < 3;) {
    await new Promise(resolve => setTimeout(resolve, 700));
    items = await history(request, path);
    const key = items.map(e => `${e.id}:${e.trigger}`).join(',');
    same = key === last ? same + 1 : 0;
    last = key;
  }
  return items;
}

/** Run cell `index` and wait for its output to contain `marker`. */
async function runUntil(
  page: IJupyterLabPageFixture,
  index: number,
  source: string,
  marker: string | RegExp
) {
  await page.notebook.setCell(index, 'code', source);
  await page.notebook.runCell(index);
  const output = page
    .locator('.jp-NotebookPanel:visible .jp-Cell')
    .nth(index)
    .locator('.jp-OutputArea-output');
  await expect(output.first()).toContainText(marker, { timeout: 90000 });
  return output;
}

test.describe('one entry per moment (17.1)', () => {
  test('"Checkpoint now" with saves listed leaves one entry, no save twin', async ({
    page,
    request,
    tmpPath
  }) => {
    const path = `${tmpPath}/once.ipynb`;
    await writeNotebook(request, path, notebook([code('x = 1')]));
    await page.notebook.openByPath(path);
    await openSidebar(page);
    const sidebar = page.locator('#mltrack-sidebar');
    await expect(sidebar.getByLabel('Save checkpoints')).toBeChecked();
    const before = await settledHistory(request, path);
    const items = sidebar.locator('.jp-mltrack-checkpoint');
    await expect(items).toHaveCount(before.length);

    await page.notebook.setCell(0, 'code', 'x = 2  # unsaved edit');
    await sidebar.locator('.jp-mltrack-checkpoint-now').click();
    await page.locator('.jp-Dialog .jp-mod-accept').click();

    const after = await settledHistory(request, path);
    const known = new Set(before.map(e => e.id));
    const added = after.filter(e => !known.has(e.id));
    expect(added.map(e => e.trigger)).toEqual(['manual']);
    await expect(items).toHaveCount(before.length + 1);
    await expect(items.first()).toHaveAttribute('data-trigger', 'manual');
    await expect(
      sidebar.locator('.jp-mltrack-checkpoint[data-trigger="save"]')
    ).toHaveCount(before.filter(e => e.trigger === 'save').length);
  });

  test('a run started in the notebook leaves no save twin', async ({
    page,
    request,
    tmpPath
  }) => {
    test.setTimeout(150000);
    const path = `${tmpPath}/run-once.ipynb`;
    await writeNotebook(request, path, notebook([code('x = 1'), code('')]));
    await page.notebook.openByPath(path);
    await openSidebar(page);
    const sidebar = page.locator('#mltrack-sidebar');
    await expect(sidebar.getByLabel('Save checkpoints')).toBeChecked();
    const before = await settledHistory(request, path);

    await page.notebook.setCell(0, 'code', 'x = 2  # unsaved edit');
    await runUntil(
      page,
      1,
      'import jupyter_mltrack as mlt; run = mlt.init_run(project="twins", name="one"); ' +
        'print("RUN", run.id)',
      'RUN'
    );

    // The run's start checkpoint (and its end one, once the cell finished): nothing else.
    await expect
      .poll(async () => (await history(request, path)).map(e => e.trigger), {
        timeout: 30000
      })
      .toContain('run');
    const after = await settledHistory(request, path);
    const known = new Set(before.map(e => e.id));
    const added = after.filter(e => !known.has(e.id)).map(e => e.trigger);
    expect(added).toContain('run');
    expect(added.filter(t => t === 'save')).toEqual([]);
    expect(new Set(added)).toEqual(
      new Set(added.filter(t => t === 'run' || t === 'run-end'))
    );
    await expect(sidebar.locator('.jp-mltrack-checkpoint')).toHaveCount(
      after.length
    );
    await expect(
      sidebar.locator('.jp-mltrack-checkpoint[data-trigger="save"]')
    ).toHaveCount(before.filter(e => e.trigger === 'save').length);
  });

  test('the Settings Editor shows the save retention', async ({ page }) => {
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('settingeditor:open', {
        query: 'ML Track'
      });
    });
    const editor = page
      .locator('.jp-SettingsPanel, .jp-SettingsEditor')
      .first();
    await page
      .locator('.jp-PluginList')
      .getByText('ML Track', { exact: true })
      .first()
      .click();
    const group = page.getByRole('group', { name: 'ML Track', exact: true });
    await expect(group.getByLabel('Checkpoint on save')).toBeVisible();
    // The checkbox widget renders the description twice, one of them hidden.
    const description = group
      .getByText(/thinned as they age by the server's save retention/)
      .filter({ visible: true })
      .first();
    await expect(description).toBeVisible();
    await expect(description).toContainText('c.MLTrack.save_retention');
    await expect(description).toContainText('1h:all, 1d:1h, 30d:1d');
    await expect(editor).toBeVisible();
  });
});

test('honest counts: against the previous entry as listed (17.2)', async ({
  page,
  request,
  tmpPath
}) => {
  const path = `${tmpPath}/counts.ipynb`;
  await writeNotebook(request, path, notebook([code('x = 1'), code('y = 1')]));
  await checkpoint(request, path, 'first');
  await page.notebook.openByPath(path);
  await openSidebar(page);
  const sidebar = page.locator('#mltrack-sidebar');
  await expect(entry(page, 'first')).toBeVisible();
  // Writing the notebook may have taken a save checkpoint of its own, before "first".
  const before = await settledHistory(request, path);
  const known = new Set(before.map(e => e.id));
  const saves = sidebar.locator('.jp-mltrack-checkpoint[data-trigger="save"]');

  // An edit saved (a save entry), then a second edit and a named checkpoint.
  await page.notebook.setCell(0, 'code', 'x = 2');
  await page.notebook.save();
  await expect(saves).toHaveCount(
    before.filter(e => e.trigger === 'save').length + 1
  );
  const saved = (await settledHistory(request, path)).find(
    e => e.trigger === 'save' && !known.has(e.id)
  );
  expect(saved).toBeDefined();
  await page.notebook.setCell(1, 'code', 'y = 2');
  await sidebar.locator('.jp-mltrack-checkpoint-now').click();
  const dialog = page.locator('.jp-Dialog');
  await dialog.locator('.jp-mltrack-form-name').fill('second');
  await dialog.locator('.jp-mod-accept').click();
  const second = entry(page, 'second').locator('.jp-mltrack-changes');

  // Saves listed: the previous entry is the save, one cell changed since.
  await expect(second).toHaveText('+0 −0 ~1 cells');
  await expect(
    sidebar
      .locator(`.jp-mltrack-checkpoint[data-id="${saved!.id}"]`)
      .locator('.jp-mltrack-changes')
  ).toHaveText('+0 −0 ~1 cells');

  // Saves hidden: the previous visible entry is "first", both cells changed since.
  await sidebar.getByLabel('Save checkpoints').uncheck();
  await expect(saves).toHaveCount(0);
  await expect(second).toHaveText('+0 −0 ~2 cells');
  await expect(second).not.toHaveText('no cell changed');

  await sidebar.getByLabel('Save checkpoints').check();
  await expect(second).toHaveText('+0 −0 ~1 cells');
});

test('people, not ids: the author is the server user (17.7)', async ({
  page,
  request,
  tmpPath
}) => {
  // Galata's server: no token, jupyter_server's default identity provider, whose made-up
  // anonymous user is recorded as the server's own user (jupyter_mltrack/identity.py).
  // The server inherits this process's environment.
  const expected =
    process.env.MLTRACK_USER?.trim() ||
    process.env.JUPYTERHUB_USER?.trim() ||
    os.userInfo().username;
  const path = `${tmpPath}/who.ipynb`;
  await writeNotebook(request, path, notebook([code('w = 1')]));
  await page.notebook.openByPath(path);
  await openSidebar(page);
  await page.notebook.setCell(0, 'code', 'w = 2');
  await page.locator('#mltrack-sidebar .jp-mltrack-checkpoint-now').click();
  const dialog = page.locator('.jp-Dialog');
  await dialog.locator('.jp-mltrack-form-name').fill('who took me');
  await dialog.locator('.jp-mod-accept').click();

  const item = entry(page, 'who took me');
  await expect(item).toBeVisible();
  await expect(item).toHaveAttribute('title', `By ${expected}`);
  expect(await item.getAttribute('title')).not.toMatch(/[0-9a-f]{32}/);

  await item.locator('[data-action="open"]').click();
  const detail = page.locator('.jp-mltrack-viewer-detail:visible');
  await expect(detail).toContainText(`manual · ${expected} ·`);
  expect(await detail.textContent()).not.toMatch(/[0-9a-f]{32}/);
});

/** The magic's table in cell `index`: every cell left-aligned and monospace, the table
 * (and its first column) starting at the output area's left edge, not centred. */
async function expectLeftAlignedMonospace(
  page: IJupyterLabPageFixture,
  index: number
): Promise<void> {
  const area = page
    .locator('.jp-NotebookPanel:visible .jp-Cell')
    .nth(index)
    .locator('.jp-OutputArea-output')
    .first();
  const cells = area.locator('.mlt table td');
  await expect(cells.first()).toBeVisible();
  const style = await cells.evaluateAll(tds =>
    tds.map(td => {
      const s = getComputedStyle(td);
      return { align: s.textAlign, font: s.fontFamily };
    })
  );
  expect(style.length).toBeGreaterThan(1);
  for (const s of style) {
    expect(['left', 'start']).toContain(s.align);
    expect(s.font).toMatch(/mono/i);
  }
  const box = (await area.boundingBox())!;
  const first = (await cells.first().boundingBox())!;
  expect(first.x - box.x).toBeLessThan(16);
  const table = (await area.locator('.mlt table').first().boundingBox())!;
  expect(table.x - box.x).toBeLessThan(16);
}

test('magics without ceremony: %mltrack after import, left-aligned monospace (17.8)', async ({
  page,
  request,
  tmpPath
}) => {
  test.setTimeout(150000);
  const path = `${tmpPath}/magic.ipynb`;
  await writeNotebook(
    request,
    path,
    notebook([code(''), code(''), code(''), code('lr = 0.5')])
  );
  const mark = await checkpoint(request, path, 'magic mark', 'for the table');
  await writeNotebook(
    request,
    path,
    notebook([code(''), code(''), code(''), code('lr = 0.05')])
  );
  await page.notebook.openByPath(path);

  // No %load_ext: the import registers %mltrack in the running shell.
  await runUntil(
    page,
    0,
    'import jupyter_mltrack; print("IMPORTED")',
    'IMPORTED'
  );
  const output = await runUntil(
    page,
    1,
    '%mltrack history',
    `Checkpoints of ${path}`
  );
  await expect(output.first()).not.toContainText('not found');
  await expect(output.first().locator('.mlt table')).toContainText(
    'magic mark'
  );
  await expectLeftAlignedMonospace(page, 1);

  // The diff reads left to right too: the checkpoint against the notebook as saved.
  const diff = await runUntil(page, 2, `%mltrack diff ${mark.id}`, '0.05');
  await expect(diff.first()).toContainText('0.5');
  await expectLeftAlignedMonospace(page, 2);
});
