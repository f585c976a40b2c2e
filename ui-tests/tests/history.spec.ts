import { expect, test } from '@jupyterlab/galata';

import {
  checkpoint,
  code,
  entry,
  history,
  markdown,
  notebook,
  openSidebar,
  writeNotebook
} from './helpers';

test.describe('checkpoint history', () => {
  test('"Checkpoint now" saves first and takes a named, described checkpoint', async ({
    page,
    request,
    tmpPath
  }) => {
    const path = `${tmpPath}/train.ipynb`;
    await writeNotebook(request, path, notebook([code('x = 1')]));
    await page.notebook.openByPath(path);
    await openSidebar(page);
    const sidebar = page.locator('#mltrack-sidebar');
    await expect(sidebar.locator('.jp-mltrack-following')).toContainText(
      'train.ipynb'
    );

    await page.notebook.setCell(0, 'code', 'x = 2  # unsaved edit');
    await sidebar.locator('.jp-mltrack-checkpoint-now').click();
    const dialog = page.locator('.jp-Dialog');
    await dialog.locator('.jp-mltrack-form-name').fill('baseline');
    await dialog
      .locator('.jp-mltrack-form-description')
      .fill('before feature scaling');
    await dialog.locator('.jp-mod-accept').click();

    const item = entry(page, 'baseline');
    await expect(item).toBeVisible();
    await expect(item.locator('.jp-mltrack-description')).toHaveText(
      'before feature scaling'
    );
    await expect(item.locator('.jp-mltrack-time')).toHaveText('just now');
    const saved = (await history(request, path)).find(
      e => e.name === 'baseline'
    );
    expect(saved?.trigger).toBe('manual');
    const full = await (
      await request.get(`/mltrack/api/checkpoints/${saved!.id}`)
    ).json();
    expect(full.content.cells[0].source).toBe('x = 2  # unsaved edit');
  });

  test('the notebook toolbar button and the shortcut take checkpoints too', async ({
    page,
    request,
    tmpPath
  }) => {
    const path = `${tmpPath}/short.ipynb`;
    await writeNotebook(request, path, notebook([code('y = 1')]));
    await page.notebook.openByPath(path);
    await openSidebar(page);

    await page
      .locator(
        '.jp-NotebookPanel-toolbar [data-jp-item-name="mltrack-checkpoint"]'
      )
      .click();
    const dialog = page.locator('.jp-Dialog');
    await dialog.locator('.jp-mltrack-form-name').fill('from toolbar');
    await dialog.locator('.jp-mod-accept').click();
    await expect(entry(page, 'from toolbar')).toBeVisible();

    await page.locator('.jp-Notebook').click();
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Alt+c');
    await dialog.locator('.jp-mltrack-form-name').fill('from shortcut');
    await dialog.locator('.jp-mltrack-form-name').press('Enter');
    await expect(entry(page, 'from shortcut')).toBeVisible();
  });

  test('rename, describe and delete from the list', async ({
    page,
    request,
    tmpPath
  }) => {
    const path = `${tmpPath}/edit.ipynb`;
    await writeNotebook(request, path, notebook([code('z = 1')]));
    const first = await checkpoint(request, path, 'draft');
    await checkpoint(request, path, 'keep me');
    await page.notebook.openByPath(path);
    await openSidebar(page);

    await entry(page, 'draft').locator('.jp-mltrack-name').dblclick();
    const input = page.locator('#mltrack-sidebar input.jp-mltrack-edit');
    await input.fill('tuned');
    await input.press('Enter');
    await expect(entry(page, 'tuned')).toBeVisible();

    await entry(page, 'tuned').locator('[data-action="more"]').click();
    await page
      .locator('.jp-mltrack-menu .lm-Menu-item', { hasText: 'Describe' })
      .click();
    const area = page.locator('#mltrack-sidebar textarea.jp-mltrack-edit');
    await area.fill('learning rate 0.1 <b>bold?</b>');
    await area.press('Enter');
    await expect(
      entry(page, 'tuned').locator('.jp-mltrack-description')
    ).toHaveText('learning rate 0.1 <b>bold?</b>');
    let stored = (await history(request, path)).find(e => e.id === first.id);
    expect(stored?.name).toBe('tuned');
    expect(stored?.description).toBe('learning rate 0.1 <b>bold?</b>');

    // Unnamed save checkpoints show their random ids: leave them out of the picture.
    await page
      .locator('#mltrack-sidebar')
      .getByLabel('Save checkpoints')
      .uncheck();
    await expect(
      page.locator('#mltrack-sidebar .jp-mltrack-checkpoint')
    ).toHaveCount(2);
    expect(
      await page.locator('#mltrack-sidebar').screenshot({
        // The store section names this run's temporary folder, and relative times move on
        // with the clock ("just now", "1 min ago"): both painted over in white.
        mask: [
          page.locator('#mltrack-sidebar .jp-mltrack-store-section'),
          page.locator('#mltrack-sidebar .jp-mltrack-time')
        ],
        maskColor: '#ffffff'
      })
    ).toMatchSnapshot('sidebar-history.png', { maxDiffPixelRatio: 0.01 });

    await entry(page, 'tuned').locator('[data-action="more"]').click();
    await page
      .locator('.jp-mltrack-menu .lm-Menu-item', { hasText: 'Delete' })
      .click();
    await page.locator('.jp-Dialog .jp-mod-warn').click();
    await expect(entry(page, 'tuned')).toHaveCount(0);
    await expect(entry(page, 'keep me')).toBeVisible();
    stored = (await history(request, path)).find(e => e.id === first.id);
    expect(stored).toBeUndefined();
  });

  test('restore as a copy, then revert after a safety checkpoint', async ({
    page,
    request,
    tmpPath
  }) => {
    const path = `${tmpPath}/restore.ipynb`;
    await writeNotebook(request, path, notebook([code('value = "old"')]));
    const old = await checkpoint(request, path, 'old version');
    await writeNotebook(request, path, notebook([code('value = "new"')]));
    await page.notebook.openByPath(path);
    await openSidebar(page);

    await entry(page, 'old version').locator('[data-action="more"]').click();
    await page
      .locator('.jp-mltrack-menu .lm-Menu-item', {
        hasText: 'Restore as a Copy'
      })
      .click();
    const copy = `${tmpPath}/restore-restored-${old.id.slice(0, 6)}.ipynb`;
    await expect(page.locator(`.jp-mod-current[role="tab"]`)).toContainText(
      'restore-restored'
    );
    const written = await (await request.get(`/api/contents/${copy}`)).json();
    expect(written.content.cells[0].source).toBe('value = "old"');

    await page.notebook.activate('restore.ipynb');
    await entry(page, 'old version').locator('[data-action="more"]').click();
    await page
      .locator('.jp-mltrack-menu .lm-Menu-item', { hasText: 'Revert' })
      .click();
    await page.locator('.jp-Dialog .jp-mod-warn').click();

    await expect(
      page.locator('.jp-NotebookPanel:visible .jp-Cell').first()
    ).toContainText('value = "old"');
    await expect(entry(page, `before restoring ${old.id}`)).toBeVisible();
    const reverted = await (await request.get(`/api/contents/${path}`)).json();
    expect(reverted.content.cells[0].source).toBe('value = "old"');
  });

  test('a checkpoint taken by the kernel shows up within two seconds', async ({
    page,
    request,
    tmpPath
  }) => {
    const path = `${tmpPath}/kernel.ipynb`;
    await writeNotebook(request, path, notebook([markdown('# run'), code('')]));
    await page.notebook.openByPath(path);
    await openSidebar(page);
    await expect(entry(page, 'from kernel')).toHaveCount(0);

    const source =
      'import os, jupyter_mltrack as mlt, jupyter_mltrack.checkpoints as c; ' +
      'run = mlt.init_run(project="galata", name="kernel run"); ' +
      `e = c.create("${path}", name="from kernel", run_id=run.id, trigger="run", ` +
      `root=os.getcwd()[: -len("${tmpPath}")]); print("DONE", e["id"])`;
    await page.notebook.setCell(1, 'code', source);
    await page.notebook.runCell(1);
    await expect(page.locator('.jp-OutputArea-output').first()).toContainText(
      'DONE',
      {
        timeout: 60000
      }
    );
    const done = Date.now();

    const item = entry(page, 'from kernel');
    await expect(item).toBeVisible({ timeout: 2000 });
    console.log(
      `kernel checkpoint listed ${Date.now() - done} ms after the cell finished`
    );
    await expect(item.locator('.jp-mltrack-run')).toHaveText(
      /GALA-\d+ running/
    );
    await expect(item).toHaveAttribute('data-trigger', 'run');
  });

  test('all notebooks, search and the save toggle', async ({
    page,
    request,
    tmpPath
  }) => {
    const a = `${tmpPath}/alpha.ipynb`;
    const b = `${tmpPath}/beta.ipynb`;
    await writeNotebook(request, a, notebook([code('a = 1')]));
    await writeNotebook(request, b, notebook([code('b = 1')]));
    await checkpoint(request, a, 'alpha mark', 'gradient boosting');
    await checkpoint(request, b, 'beta mark', 'random forest');
    await page.notebook.openByPath(a);
    await openSidebar(page);
    const sidebar = page.locator('#mltrack-sidebar');
    await expect(entry(page, 'alpha mark')).toBeVisible();
    await expect(entry(page, 'beta mark')).toHaveCount(0);

    await sidebar.getByLabel('All notebooks').check();
    await expect(entry(page, 'beta mark')).toBeVisible();
    await expect(
      entry(page, 'beta mark').locator('.jp-mltrack-path')
    ).toHaveText(b);

    await sidebar.getByLabel('Search checkpoints').fill('forest');
    await expect(entry(page, 'beta mark')).toBeVisible();
    await expect(entry(page, 'alpha mark')).toHaveCount(0);
    await sidebar.getByLabel('Search checkpoints').fill('no such words');
    await expect(sidebar.locator('.jp-mltrack-empty')).toHaveText(
      'No checkpoint matches "no such words".'
    );
    await sidebar.getByLabel('Search checkpoints').fill('');
    await sidebar.getByLabel('All notebooks').uncheck();

    // Saving the changed notebook makes the server take a save checkpoint.
    await page.notebook.setCell(0, 'code', 'a = 2');
    await page.notebook.save();
    const saves = sidebar.locator(
      '.jp-mltrack-checkpoint[data-trigger="save"]'
    );
    await expect(saves).toHaveCount(1);
    const following = sidebar.locator('.jp-mltrack-following');
    await expect(following).toHaveText(`${a} · 2 checkpoints`);
    await sidebar.getByLabel('Save checkpoints').uncheck();
    await expect(saves).toHaveCount(0);
    await expect(entry(page, 'alpha mark')).toBeVisible();
    // The server leaves the save checkpoint out, so the count is of what is listed.
    await expect(following).toHaveText(`${a} · 1 checkpoint`);
  });
});
