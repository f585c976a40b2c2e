/**
 * The diff worth reading (issue 17.4): source in two columns with only the changed
 * characters marked, outputs side by side, count-only and metadata-only changes hidden
 * behind a toggle that the settings keep, moves shown as moves, a one-line summary, a tab
 * title naming the notebook and both sides, and one tab per comparison.
 */
import * as path from 'path';

import { expect, test } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';

import {
  checkpoint,
  code,
  ICell,
  markdown,
  notebook,
  writeNotebook
} from './helpers';

const PNG_RED =
  'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEklEQVR4nGP4z8CAFTEMLQkAQH4/wW4IH9sAAAAASUVORK5CYII=';
const PNG_BLUE =
  'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEklEQVR4nGNgYPiPFTEMLQkAXmA/wa3A9VQAAAAASUVORK5CYII=';

function image(data: string) {
  return {
    output_type: 'display_data',
    data: { 'image/png': data, 'text/plain': '<Figure>' },
    metadata: {}
  };
}

function stream(text: string) {
  return { output_type: 'stream', name: 'stdout', text };
}

/** A cell with a fixed id, so that a moved cell keeps it. */
function withId(cell: ICell, id: string): ICell {
  return Object.assign(cell, { id });
}

/**
 * A training notebook and its next version: the learning rate 0.5 → 0.05 and more epochs,
 * a markdown edit, the accuracy and the plot changed, a cell whose only change is its
 * execution count, one with only a tag added, and the helper cell moved to the top.
 */
function demo() {
  const cells = (after: boolean): ICell[] => {
    const helper = withId(
      code(
        after
          ? 'def accuracy(pred, y):\n    return float((pred == y).mean())'
          : 'def accuracy(pred, y):\n    return (pred == y).mean()',
        [],
        after ? 2 : 7
      ),
      'helper'
    );
    const list = [
      withId(
        markdown(
          after
            ? '# Credit model\nTrain and *evaluate* with a smaller step.'
            : '# Credit model\nTrain and *evaluate*.'
        ),
        'title'
      ),
      withId(code('import numpy as np', [], 1), 'imports'),
      withId(
        code(
          after
            ? 'lr = 0.05\nepochs = 20\nseed = 0'
            : 'lr = 0.5\nepochs = 10\nseed = 0',
          [],
          after ? 3 : 2
        ),
        'params'
      ),
      withId(
        code(
          'model = train(lr, epochs)',
          [stream(after ? 'epoch 20: loss 0.21\n' : 'epoch 10: loss 0.48\n')],
          after ? 4 : 3
        ),
        'train'
      ),
      withId(
        code(
          'print("accuracy", accuracy(model.predict(X), y))',
          [stream(after ? 'accuracy 0.934\n' : 'accuracy 0.912\n')],
          after ? 5 : 4
        ),
        'score'
      ),
      withId(
        code('plot(model)', [image(after ? PNG_BLUE : PNG_RED)], after ? 6 : 5),
        'plot'
      ),
      withId(code('summary = {"lr": lr}', [], after ? 17 : 6), 'summary')
    ];
    if (after) {
      (list[1] as unknown as { metadata: object }).metadata = {
        tags: ['setup']
      };
      return [list[0], helper, ...list.slice(1)];
    }
    return [...list, helper];
  };
  return { before: notebook(cells(false)), after: notebook(cells(true)) };
}

async function compare(page: Page, base: string, remote: string) {
  await page.evaluate(
    ([base, remote]) =>
      (
        window as unknown as {
          jupyterapp: {
            commands: {
              execute: (id: string, args: object) => Promise<unknown>;
            };
          };
        }
      ).jupyterapp.commands.execute('mltrack:compare-checkpoints', {
        base,
        remote
      }),
    [base, remote]
  );
  const diff = page.locator('.jp-mltrack-diff:visible');
  await expect(diff).toHaveAttribute('data-state', 'ready', { timeout: 15000 });
  return diff;
}

async function twoCheckpoints(
  request: Parameters<typeof writeNotebook>[0],
  path: string
) {
  const { before, after } = demo();
  await writeNotebook(request, path, before);
  const a = await checkpoint(request, path, 'baseline');
  await writeNotebook(request, path, after);
  const b = await checkpoint(request, path, 'lr 0.05');
  return { a, b };
}

const mainTabs = (page: Page) =>
  page.locator('#jp-main-dock-panel .lm-TabBar-tab');
const currentTab = (page: Page) =>
  page.locator(
    '#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel'
  );

test.describe('a diff worth reading', () => {
  test('source in two columns, only the changed characters marked, outputs side by side', async ({
    page,
    request,
    tmpPath
  }) => {
    const path = `${tmpPath}/demo.ipynb`;
    const { a, b } = await twoCheckpoints(request, path);
    const diff = await compare(page, a.id, b.id);

    await expect(currentTab(page)).toHaveText('demo.ipynb: baseline → lr 0.05');
    // Count-only (summary) and metadata-only (imports) cells are not changes by default.
    await expect(diff.locator('.jp-mltrack-diff-summary')).toHaveText(
      '2 cells changed, 1 moved, 3 outputs changed'
    );

    const params = diff.locator('.jp-Cell-diff', { hasText: 'epochs = 20' });
    const left = params.locator('.cm-diff-left-editor');
    const right = params.locator('.cm-diff-right-editor');
    await expect(left).toContainText('lr = 0.5');
    await expect(right).toContainText('lr = 0.05');
    const lbox = (await left.boundingBox())!;
    const rbox = (await right.boundingBox())!;
    expect(Math.abs(lbox.y - rbox.y)).toBeLessThan(2);
    expect(rbox.x).toBeGreaterThanOrEqual(lbox.x + lbox.width);
    expect(lbox.width).toBeGreaterThan(200);
    // 0.5 → 0.05 marks the inserted 0; 10 → 20 marks the digits that changed.
    await expect(right.locator('.cm-merge-r-inserted')).toHaveText(['0', '2']);
    await expect(left.locator('.cm-merge-r-deleted')).toHaveText(['1']);

    // The markdown source also in two columns, rendered below side by side.
    const title = diff.locator('.jp-Cell-diff', { hasText: 'Credit model' });
    await expect(
      title.locator('.cm-diff-right-editor .cm-merge-r-inserted')
    ).toHaveText([' with a smaller step']);

    // Changed outputs base left, remote right: the stream and the two images.
    const score = diff.locator('.jp-Cell-diff', { hasText: 'accuracy 0.934' });
    const oldText = score.locator('.jp-Diff-base', {
      hasText: 'accuracy 0.912'
    });
    const newText = score.locator('.jp-Diff-remote', {
      hasText: 'accuracy 0.934'
    });
    const [was, now] = [
      (await oldText.boundingBox())!,
      (await newText.boundingBox())!
    ];
    expect(Math.abs(was.y - now.y)).toBeLessThan(2);
    expect(now.x).toBeGreaterThan(was.x + was.width - 1);
    const images = diff.locator('.jp-Diff-outputsContainer img');
    await expect(images).toHaveCount(2);
    const [red, blue] = [
      (await images.nth(0).boundingBox())!,
      (await images.nth(1).boundingBox())!
    ];
    expect(Math.abs(red.y - blue.y)).toBeLessThan(2);
    expect(blue.x).toBeGreaterThan(red.x + 100);

    // The moved helper: drawn once, at its new place, with its edit marked.
    const moved = diff.locator('.jp-mltrack-moved');
    await expect(moved.locator('.jp-mltrack-moved-marker')).toHaveText(
      'Moved from #8 and edited'
    );
    // (The syntax highlighting splits a mark into spans: read them together.)
    const movedMarks = moved.locator(
      '.cm-diff-right-editor .cm-merge-r-inserted'
    );
    await expect(movedMarks).toHaveCount(3);
    expect((await movedMarks.allTextContents()).join('')).toBe('float()');

    expect(
      await diff.screenshot({ mask: [diff.locator('.jp-mltrack-diff-detail')] })
    ).toMatchSnapshot('diff-side-by-side.png');
  });

  test('opening the same comparison again focuses its tab', async ({
    page,
    request,
    tmpPath
  }) => {
    const path = `${tmpPath}/demo.ipynb`;
    const { a, b } = await twoCheckpoints(request, path);
    await compare(page, a.id, b.id);
    const count = await mainTabs(page).count();
    await page
      .locator('#jp-main-dock-panel .lm-TabBar-tab', { hasText: 'Launcher' })
      .click();
    await expect(currentTab(page)).toHaveText('Launcher');

    await compare(page, a.id, b.id);
    await expect(mainTabs(page)).toHaveCount(count);
    await expect(currentTab(page)).toHaveText('demo.ipynb: baseline → lr 0.05');
    await expect(page.locator('.jp-mltrack-diff')).toHaveCount(1);
  });
});

// A reload lands on the restored tabs, not on the Launcher Galata waits for.
test.describe('diff toggles across a reload', () => {
  test.use({
    // eslint-disable-next-line no-empty-pattern -- Playwright reads the fixture's arguments
    waitForApplication: async ({}, use) => {
      await use(async page => {
        await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
        await page.locator('#jp-main-dock-panel').waitFor();
      });
    }
  });

  test('count-only and metadata-only changes are hidden until the toggle, which the settings keep', async ({
    page,
    request,
    tmpPath
  }) => {
    const path = `${tmpPath}/demo.ipynb`;
    const { a, b } = await twoCheckpoints(request, path);
    let diff = await compare(page, a.id, b.id);
    const summary = diff.locator('.jp-mltrack-diff-summary');
    const countToggle = diff.getByLabel('Hide execution-count-only changes');
    await expect(countToggle).toBeChecked();
    await expect(diff.getByLabel('Hide metadata-only changes')).toBeChecked();
    // Not counted, and not stepped to: 2 source edits, 1 move and 3 output changes.
    await expect(diff.locator('.jp-mltrack-change')).toHaveCount(6);
    await expect(
      diff.locator('.jp-Cell-diff', { hasText: 'summary = ' })
    ).toHaveCount(0);

    await countToggle.uncheck();
    await expect(summary).toHaveText(
      '3 cells changed, 1 moved, 3 outputs changed'
    );
    await expect(diff.locator('.jp-mltrack-change')).toHaveCount(7);
    await diff.getByLabel('Hide metadata-only changes').uncheck();
    await expect(summary).toHaveText(
      '4 cells changed, 1 moved, 3 outputs changed'
    );

    // After a reload the toggles are as left, in the same comparison's tab.
    await page.reload();
    diff = await compare(page, a.id, b.id);
    await expect(
      diff.getByLabel('Hide execution-count-only changes')
    ).not.toBeChecked();
    await expect(
      diff.getByLabel('Hide metadata-only changes')
    ).not.toBeChecked();
    await expect(diff.locator('.jp-mltrack-diff-summary')).toHaveText(
      '4 cells changed, 1 moved, 3 outputs changed'
    );
  });
});

// Collected only with MLTRACK_SCREENSHOTS=1 (playwright.config.ts: the @docs-screenshot tag).
test.describe('docs screenshots @docs-screenshot', () => {
  test.use({ viewport: { width: 1280, height: 860 } });

  test('docs/img/diff-side-by-side.png', async ({ page, request, tmpPath }) => {
    // A folder with a readable name for the header (not the test's temporary one).
    await request.put('/api/contents/credit-model', {
      data: { type: 'directory' }
    });
    const { a, b } = await twoCheckpoints(request, 'credit-model/demo.ipynb');
    await page.evaluate(() => {
      (
        window as unknown as {
          jupyterapp: { shell: { collapseLeft: () => void } };
        }
      ).jupyterapp.shell.collapseLeft();
    });
    const diff = await compare(page, a.id, b.id);
    await expect(diff.locator('.jp-mltrack-moved')).toBeVisible();
    await page.waitForTimeout(500);
    await page.screenshot({
      path: path.resolve(
        __dirname,
        '..',
        '..',
        'docs',
        'img',
        'diff-side-by-side.png'
      )
    });
  });
});
