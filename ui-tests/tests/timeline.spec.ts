/**
 * The history sidebar's timeline (issue 17.5) and validation warnings (issue 17.7), as a
 * user drives them: keys and clicks on the scrubber, the read-only preview, the diff of
 * the two handles, restore as a new entry.
 */
import { expect, test } from '@jupyterlab/galata';
import type { APIRequestContext, Page } from '@playwright/test';

import {
  checkpoint,
  code,
  entry,
  history,
  IEntry,
  markdown,
  notebook,
  openSidebar,
  writeNotebook
} from './helpers';

/** Three checkpoints v1..v3 of `path`, each with its own `step = N` cell. */
async function threeVersions(
  request: APIRequestContext,
  path: string
): Promise<IEntry[]> {
  const entries: IEntry[] = [];
  for (const n of [1, 2, 3]) {
    await writeNotebook(
      request,
      path,
      notebook([markdown(`# Version ${n}`), code(`step = ${n}`)])
    );
    entries.push(await checkpoint(request, path, `v${n}`));
  }
  return entries;
}

/** The sidebar with save checkpoints hidden, so the timeline's stops are v1..v3. */
async function openTimeline(page: Page): Promise<void> {
  await openSidebar(page);
  await page
    .locator('#mltrack-sidebar')
    .getByLabel('Save checkpoints')
    .uncheck();
  await expect(
    page.locator('#mltrack-sidebar .jp-mltrack-checkpoint[data-trigger="save"]')
  ).toHaveCount(0);
  // The list is fetched again: scrub once it is back, not while it is empty.
  await expect(page.locator('#mltrack-sidebar')).toHaveAttribute(
    'data-history-status',
    'ready'
  );
  await expect(
    page.locator('#mltrack-sidebar .jp-mltrack-timeline-stop').first()
  ).toBeAttached();
}

function timeline(page: Page) {
  return page.locator('#mltrack-sidebar .jp-mltrack-timeline');
}

function handle(page: Page, which: 'from' | 'to') {
  return timeline(page).locator(
    `.jp-mltrack-timeline-handle[data-handle="${which}"]`
  );
}

function preview(page: Page) {
  return page.locator('.jp-mltrack-timeline-preview .jp-mltrack-viewer');
}

test.describe('timeline', () => {
  test('keys and clicks on the scrubber show each checkpoint read-only', async ({
    page,
    request,
    tmpPath
  }) => {
    const path = `${tmpPath}/scrub.ipynb`;
    const [v1, v2, v3] = await threeVersions(request, path);
    await page.notebook.openByPath(path);
    await openTimeline(page);
    await expect(timeline(page)).toBeVisible();
    await expect(
      timeline(page).locator('.jp-mltrack-timeline-stop')
    ).toHaveCount(3);
    const to = handle(page, 'to');
    await expect(to).toHaveAttribute('aria-valuenow', '3');
    await expect(to).toHaveAttribute('data-id', v3.id);

    // One step back with the keyboard: v2 shows, read-only, in the preview tab.
    await to.focus();
    await page.keyboard.press('ArrowLeft');
    await expect(to).toHaveAttribute('aria-valuenow', '2');
    await expect(to).toHaveAttribute('aria-valuetext', /^v2 · /);
    await expect(preview(page)).toHaveAttribute('data-state', 'ready');
    await expect(preview(page)).toHaveAttribute('data-id', v2.id);
    await expect(preview(page)).toContainText('step = 2');
    await expect(preview(page).locator('.jp-mltrack-viewer-name')).toHaveText(
      'v2'
    );
    // The handle keeps the focus, so the keys go on scrubbing.
    await expect(to).toBeFocused();
    await page.keyboard.press('Home');
    await expect(preview(page)).toHaveAttribute('data-id', v1.id);
    await expect(preview(page)).toContainText('step = 1');
    await expect(preview(page)).not.toContainText('step = 2');
    // One preview tab, replaced, not a tab per step.
    await expect(page.locator('.jp-mltrack-timeline-preview')).toHaveCount(1);

    // A click at the right end of the track takes the nearest handle there.
    const track = timeline(page).locator('.jp-mltrack-timeline-track');
    const box = (await track.boundingBox())!;
    await page.mouse.click(box.x + box.width - 1, box.y + box.height / 2);
    await expect(preview(page)).toHaveAttribute('data-id', v3.id);
    await expect(preview(page)).toContainText('step = 3');
  });

  test('the two handles open the diff of their checkpoints', async ({
    page,
    request,
    tmpPath
  }) => {
    const path = `${tmpPath}/pair.ipynb`;
    const [v1, , v3] = await threeVersions(request, path);
    await page.notebook.openByPath(path);
    await openTimeline(page);
    const from = handle(page, 'from');
    await expect(from).toHaveAttribute('aria-valuenow', '2');
    await from.focus();
    await page.keyboard.press('Home');
    await expect(from).toHaveAttribute('data-id', v1.id);
    await timeline(page).locator('.jp-mltrack-timeline-compare').click();
    const diff = page.locator('.jp-mltrack-diff:visible');
    await expect(diff).toHaveAttribute('data-base', v1.id);
    await expect(diff).toHaveAttribute('data-remote', v3.id);
    await expect(
      diff.locator('.jp-mltrack-diff-remote .jp-mltrack-diff-name')
    ).toHaveText('v3');
    // Both handles on one checkpoint: nothing to compare.
    await from.focus();
    await page.keyboard.press('End');
    await expect(
      timeline(page).locator('.jp-mltrack-timeline-compare')
    ).toBeDisabled();
  });

  test('restore writes the shown checkpoint back and adds an entry', async ({
    page,
    request,
    tmpPath
  }) => {
    const path = `${tmpPath}/back.ipynb`;
    const [v1] = await threeVersions(request, path);
    await page.notebook.openByPath(path);
    await openTimeline(page);
    const before = (await history(request, path)).length;
    const to = handle(page, 'to');
    await to.focus();
    await page.keyboard.press('Home');
    await expect(preview(page)).toHaveAttribute('data-id', v1.id);
    await timeline(page).locator('.jp-mltrack-timeline-restore').click();
    await page.locator('.jp-Dialog .jp-mod-accept').click();

    await expect
      .poll(async () => (await history(request, path)).length)
      .toBeGreaterThan(before);
    const entries = await history(request, path);
    const safety = entries.find(e => e.trigger === 'restore');
    expect(safety).toBeTruthy();
    const file = await (
      await request.get(`/api/contents/${path}?content=1`)
    ).json();
    expect(file.content.cells[1].source).toBe('step = 1');
    // The notebook tab shows the restored content, and the timeline grew.
    await expect(
      page.locator('.jp-NotebookPanel .jp-Cell').nth(1)
    ).toContainText('step = 1');
    await expect(
      timeline(page).locator(
        `.jp-mltrack-timeline-stop[data-trigger="restore"]`
      )
    ).toHaveCount(1);
  });

  test('a notebook nbformat calls invalid shows its validation warning', async ({
    page,
    request,
    tmpPath
  }) => {
    const path = `${tmpPath}/invalid.ipynb`;
    const nb = notebook([code('x = 1')]) as {
      cells: Record<string, unknown>[];
    };
    // A key the schema does not allow in a code cell: Jupyter still opens it.
    nb.cells[0].unexpected_key = 'hello';
    await writeNotebook(request, path, nb);
    const saved = await checkpoint(request, path, 'odd one');
    const full = await (
      await request.get(`/mltrack/api/checkpoints/${saved.id}`)
    ).json();
    expect(full.validation_warning).toBeTruthy();

    await page.notebook.openByPath(path);
    await openSidebar(page);
    const warning = entry(page, 'odd one').locator(
      '.jp-mltrack-validation-warning'
    );
    await expect(warning).toBeVisible();
    await expect(warning).toHaveAttribute(
      'title',
      new RegExp('unexpected_key')
    );
    await entry(page, 'odd one').locator('[data-action="open"]').click();
    const viewer = page.locator('.jp-mltrack-viewer:visible');
    await expect(viewer).toHaveAttribute('data-state', 'ready');
    await expect(viewer.locator('.jp-mltrack-viewer-warning')).toContainText(
      'unexpected_key'
    );
    // A valid notebook's entry carries no warning.
    await writeNotebook(request, path, notebook([code('x = 2')]));
    await checkpoint(request, path, 'fine one');
    await expect(entry(page, 'fine one')).toBeVisible();
    await expect(
      entry(page, 'fine one').locator('.jp-mltrack-validation-warning')
    ).toHaveCount(0);
  });
});

// Collected only with MLTRACK_SCREENSHOTS=1 (playwright.config.ts: the @docs-screenshot tag).
test.describe('docs screenshot @docs-screenshot', () => {
  test.use({ viewport: { width: 1280, height: 800 } });

  test('docs/img/sidebar-timeline.png', async ({ page, request, tmpPath }) => {
    const path = `${tmpPath}/train.ipynb`;
    const steps: [string, string][] = [
      ['baseline', 'lr = 0.1\nepochs = 5'],
      ['more epochs', 'lr = 0.1\nepochs = 20'],
      ['', 'lr = 0.05\nepochs = 20'],
      ['lr 0.05', 'lr = 0.05\nepochs = 20\nmomentum = 0.9'],
      ['epochs 30', 'lr = 0.05\nepochs = 30\nmomentum = 0.9'],
      ['best so far', 'lr = 0.03\nepochs = 30\nmomentum = 0.9']
    ];
    const entries: IEntry[] = [];
    for (const [name, source] of steps) {
      await writeNotebook(
        request,
        path,
        notebook([
          markdown('# Training'),
          code(source),
          code('model.fit(X, y)\nprint(model.score(X_test, y_test))', [
            { output_type: 'stream', name: 'stdout', text: '0.91\n' }
          ])
        ])
      );
      entries.push(await checkpoint(request, path, name));
    }
    await page.notebook.openByPath(path);
    await openTimeline(page);
    const from = handle(page, 'from');
    await from.focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowRight');
    const to = handle(page, 'to');
    await to.focus();
    await page.keyboard.press('ArrowLeft');
    await expect(preview(page)).toHaveAttribute('data-id', entries[4].id);
    await expect(preview(page)).toContainText('epochs = 30');
    await page.screenshot({ path: '../docs/img/sidebar-timeline.png' });
  });
});
