import { expect, test } from '@jupyterlab/galata';

import * as fs from 'fs';
import * as path from 'path';

import { code, notebook, writeNotebook } from './helpers';
import { command, fixture, project, startLive } from './runsFixtures';

test.describe('run view', () => {
  test('summary first, charts with axis titles, context collapsed, gallery, checkpoint; run strings stay text', async ({
    page,
    request,
    tmpPath
  }) => {
    const name = project('ui-view');
    const { ids } = await fixture<{ ids: string[] }>(
      request,
      'runs',
      '--project',
      name
    );
    const path = `${tmpPath}/trained.ipynb`;
    await writeNotebook(request, path, notebook([code('lr = 0.1')]));
    const linked = await request.post('/mltrack/api/checkpoints', {
      data: { path, run_id: ids[0], trigger: 'api', name: 'before training' }
    });
    expect(linked.status()).toBe(201);
    const checkpoint = (await linked.json()) as { id: string };

    await command(page, 'mltrack:open-run', { id: ids[0] });
    const view = page.locator(`#mltrack-run-view-${ids[0]}`);
    await expect(view.locator('.jp-mltrack-run-name')).toHaveText('alpha');
    await expect(view.locator('.jp-mltrack-state').first()).toHaveText(
      'finished'
    );

    // Strings from the run are text, never markup.
    const description = view.locator('.jp-mltrack-run-description');
    await expect(description).toHaveText(
      '<b>alpha</b> <img src=x onerror=alert(1)>'
    );
    await expect(description.locator('img, b')).toHaveCount(0);
    await expect(view.locator('.jp-mltrack-console-text')).toContainText(
      'epoch 2 of alpha <script>x</script>'
    );
    await expect(view.locator('.jp-mltrack-console script')).toHaveCount(0);

    // Charts of both float series, every point (200 < the 2,000 asked for), their axes
    // titled: the series path on y, the step on x.
    for (const field of ['train/loss', 'val/acc']) {
      const chart = view.locator(`.jp-mltrack-chart[data-field="${field}"]`);
      await expect(chart.locator('canvas')).toHaveCount(1);
      await expect(chart).toHaveAttribute('data-points', '200');
      await expect(chart).toHaveAttribute('data-y-title', field);
      await expect(chart).toHaveAttribute('data-x-title', 'step');
    }
    // Hover values: the legend says the value under the cursor.
    const loss = view.locator('.jp-mltrack-chart[data-field="train/loss"]');
    const value = loss
      .locator('.u-legend .u-series')
      .nth(1)
      .locator('.u-value');
    await expect(value).toHaveText('--');
    await loss.locator('.u-over').hover({ position: { x: 30, y: 20 } });
    await expect(value).toHaveText(/^\d/);
    // The summary (parameters, final metrics) comes before the charts.
    const params = view.locator('.jp-mltrack-run-params');
    const metrics = view.locator('.jp-mltrack-run-metrics');
    await expect(
      params.locator('tr[data-path="params/lr"] .jp-mltrack-summary-value')
    ).toHaveText('0.1');
    await expect(
      metrics.locator('tr[data-path="metrics/f1"] .jp-mltrack-summary-value')
    ).toHaveText('0.5');
    await expect(metrics.locator('tr[data-path="val/acc"]')).toHaveCount(1);
    const top = async (selector: string) =>
      (await view.locator(selector).first().boundingBox())!.y;
    expect(await top('.jp-mltrack-run-summary')).toBeLessThan(
      await top('.jp-mltrack-chart')
    );
    // Log scale: the charts redraw on a log10 y axis.
    await view
      .locator('.jp-mltrack-run-metric-charts .jp-mltrack-log-scale')
      .check();
    await expect(
      view.locator('.jp-mltrack-chart[data-field="train/loss"]')
    ).toHaveAttribute('data-log', '1');
    await view
      .locator('.jp-mltrack-run-metric-charts .jp-mltrack-log-scale')
      .uncheck();
    // The run's context (console, all fields) is collapsed, below the charts.
    for (const box of [
      '.jp-mltrack-run-console',
      '.jp-mltrack-run-git',
      '.jp-mltrack-run-environment',
      '.jp-mltrack-run-fields'
    ]) {
      await expect(view.locator(`details${box}`)).toHaveCount(1);
      await expect(view.locator(`details${box}`)).not.toHaveAttribute(
        'open',
        ''
      );
    }
    expect(await top('.jp-mltrack-run-console')).toBeGreaterThan(
      await top('.jp-mltrack-chart')
    );
    await expect(view.locator('.jp-mltrack-console-text')).toBeHidden();
    // The image series: served by the files endpoint and decoded.
    const image = view.locator('.jp-mltrack-gallery .jp-mod-current img');
    await expect(image).toHaveCount(1);
    await expect
      .poll(() => image.evaluate(img => (img as HTMLImageElement).naturalWidth))
      .toBe(8);
    // The field tree (collapsed: its text is there) and the tags.
    await expect(
      view.locator(
        '.jp-mltrack-field[data-path="params/lr"] .jp-mltrack-field-value'
      )
    ).toHaveText('0.1');
    await expect(view.locator('.jp-mltrack-tag')).toHaveText(['lr-0.1', 'ui']);

    const mask = [
      view.locator('.jp-mltrack-run-facts'),
      view.locator('.jp-mltrack-run-id'),
      view.locator('.jp-mltrack-run-checkpoint-name'),
      view.locator('.jp-mltrack-run-notebook-name'),
      view.locator('.jp-mltrack-field-value'),
      view.locator('.jp-mltrack-gallery figcaption'),
      view.locator('.u-legend')
    ];
    expect(await view.screenshot({ mask })).toMatchSnapshot('run-view.png', {
      maxDiffPixelRatio: 0.05
    });

    // The linked checkpoint: open it read-only, and diff it against the notebook now. The
    // run has no end checkpoint (a script run through the client alone): said so.
    const start = view.locator('.jp-mltrack-run-checkpoint[data-kind="start"]');
    await expect(
      start.locator('.jp-mltrack-run-checkpoint-name')
    ).toContainText('before training');
    await expect(
      view.locator('.jp-mltrack-run-checkpoint[data-kind="end"]')
    ).toContainText('not yet');
    await start.locator('.jp-mltrack-open-checkpoint').click();
    await expect(
      page.locator(`#mltrack-checkpoint-${checkpoint.id}`)
    ).toBeVisible();
    await command(page, 'mltrack:open-run', { id: ids[0] });
    await start.locator('.jp-mltrack-diff-current').click();
    await expect(
      page.locator(`#mltrack-diff-${checkpoint.id}-current`)
    ).toBeVisible();
  });

  test('gallery slider, histogram, fork lineage', async ({ page, request }) => {
    const name = project('ui-lineage');
    const ids = await fixture<{ parent: string; hist: string; fork: string }>(
      request,
      'lineage',
      '--project',
      name
    );
    // The gallery: the newest image first; the slider goes back to the first (8 px wide).
    await command(page, 'mltrack:open-run', { id: ids.parent });
    const parent = page.locator(`#mltrack-run-view-${ids.parent}`);
    const current = parent.locator('.jp-mltrack-gallery .jp-mod-current img');
    const width = () =>
      current.evaluate(img => (img as HTMLImageElement).naturalWidth);
    await expect.poll(width).toBe(24);
    await expect(parent.locator('.jp-mltrack-gallery-step')).toHaveText(
      'step 2'
    );
    await parent.locator('.jp-mltrack-gallery-slider').fill('0');
    await expect(parent.locator('.jp-mltrack-gallery-step')).toHaveText(
      'step 0'
    );
    await expect.poll(width).toBe(8);
    // The parent lists its fork.
    const fork = parent.locator('.jp-mltrack-run-forks .jp-mltrack-run-link');
    await expect(fork).toContainText('fork');
    await expect(parent.locator('.jp-mltrack-run-forks')).toContainText(
      'at step 20'
    );

    // The fork: its parent (a link back) and the fork step, marked on its charts; its
    // loss starts with the parent's 21 points up to step 20, then its own 19.
    // A link opens the run in the lab, without reloading the page.
    await page.evaluate(() => ((window as any).beforeClick = true)); // eslint-disable-line @typescript-eslint/no-explicit-any
    await fork.click();
    const forkId = (await fork.getAttribute('data-run'))!;
    const child = page.locator(`#mltrack-run-view-${forkId}`);
    await expect(child.locator('.jp-mltrack-run-parent')).toContainText(
      `main (${ids.parent})`
    );
    await expect(child.locator('.jp-mltrack-run-parent')).toContainText(
      'at step 20'
    );
    const loss = child.locator('.jp-mltrack-chart[data-field="train/loss"]');
    await expect(loss).toHaveAttribute('data-points', '40');
    await expect(loss).toHaveAttribute('data-marker', '20');
    await child.locator('.jp-mltrack-run-parent .jp-mltrack-run-link').click();
    await expect(parent).toBeVisible();
    expect(await page.evaluate(() => (window as any).beforeClick)).toBe(true); // eslint-disable-line @typescript-eslint/no-explicit-any

    // A histogram series (Neptune 3's log_histograms) draws as bars, one step at a time.
    await command(page, 'mltrack:open-run', { id: ids.hist });
    const hist = page.locator(
      `#mltrack-run-view-${ids.hist} .jp-mltrack-histogram[data-field="weights/layer1"]`
    );
    await expect(hist.locator('canvas')).toHaveCount(1);
    await expect(hist.locator('.jp-mltrack-histogram-chart')).toHaveAttribute(
      'data-bins',
      '10'
    );
    await expect(hist).toHaveAttribute('data-step', '4');
    await hist.locator('.jp-mltrack-histogram-slider').fill('1');
    await expect(hist).toHaveAttribute('data-step', '1');
    // It is no console text.
    await expect(
      page.locator(`#mltrack-run-view-${ids.hist} .jp-mltrack-run-console`)
    ).toHaveCount(0);
  });

  test('the demo run from a real kernel: both checkpoints, results in the end one, cells that logged', async ({
    page,
    request,
    tmpPath
  }) => {
    test.setTimeout(180000);
    const name = project('ui-demo');
    const demo = JSON.parse(
      fs.readFileSync(
        path.resolve(__dirname, '..', '..', 'examples', 'demo.ipynb'),
        'utf-8'
      )
    );
    for (const cell of demo.cells) {
      const source = Array.isArray(cell.source)
        ? cell.source.join('')
        : cell.source;
      cell.source = source.replace('project="demo"', `project="${name}"`);
    }
    // The docs picture shows a path a user would have (`work/demo.ipynb`), not the test's
    // folder; a test run keeps to its own folder.
    let folder = tmpPath;
    if (process.env.MLTRACK_SCREENSHOTS === '1') {
      folder = 'work';
      await request.put(`/api/contents/${folder}`, {
        data: { type: 'directory' }
      });
    }
    const nbPath = `${folder}/demo.ipynb`;
    await writeNotebook(request, nbPath, demo);
    await page.notebook.openByPath(nbPath);
    await page.notebook.activate(nbPath);
    await page.notebook.run();
    await expect(page.locator('.jp-OutputArea-output')).toContainText(
      ['test accuracy'],
      { timeout: 60000 }
    );
    // The run, once its end checkpoint (taken when it stopped) is linked.
    let runId = '';
    await expect
      .poll(
        async () => {
          const table = await (
            await request.get(
              `/mltrack/api/runs?project=${encodeURIComponent(name)}`
            )
          ).json();
          runId = table.items?.[0]?.['sys/id'] ?? '';
          if (!runId) {
            return false;
          }
          const detail = await (
            await request.get(`/mltrack/api/runs/${runId}`)
          ).json();
          return detail.end_checkpoint !== null;
        },
        { timeout: 30000 }
      )
      .toBe(true);
    await command(page, 'mltrack:open-run', { id: runId });
    const view = page.locator(`#mltrack-run-view-${runId}`);
    await expect(view.locator('.jp-mltrack-run-name')).toHaveText(
      'numpy-logreg'
    );
    await expect(
      view.locator(
        '.jp-mltrack-run-params tr[data-path="parameters/lr"] .jp-mltrack-summary-value'
      )
    ).toHaveText('0.1');
    await expect(
      view.locator(
        '.jp-mltrack-run-metrics tr[data-path="metrics/test_accuracy"]'
      )
    ).toHaveCount(1);
    // Which cell logged which points: the training loop (its code's first line) logged
    // 200 of each series.
    const loop = view
      .locator('.jp-mltrack-cells tr')
      .filter({ hasText: 'def sigmoid(z):' });
    await expect(loop.locator('.jp-mltrack-cell-logged')).toContainText(
      'train/loss: 200 points, steps 0–199'
    );
    // Hardware is there, collapsed: opening it draws its charts.
    const hardware = view.locator('.jp-mltrack-run-hardware');
    await expect(hardware.locator('.jp-mltrack-chart')).toHaveCount(0);
    await hardware.locator('.jp-mltrack-section-toggle').click();
    await expect(hardware.locator('.jp-mltrack-chart').first()).toBeVisible();
    // Units where known: the hardware series' (docs/run-context.md).
    await expect(
      hardware.locator('.jp-mltrack-chart[data-field="monitoring/memory"]')
    ).toHaveAttribute('data-y-title', 'monitoring/memory (GiB)');
    await hardware.locator('.jp-mltrack-section-toggle').click();
    const both = view.locator(
      '.jp-mltrack-run-checkpoint .jp-mltrack-open-checkpoint'
    );
    await expect(both).toHaveCount(2);
    if (process.env.MLTRACK_SCREENSHOTS === '1') {
      // docs/img/run-view.png: the top of the view, as a user first sees it.
      await page.evaluate(() =>
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        (window as any).jupyterapp.shell.collapseLeft()
      );
      await page.setViewportSize({ width: 1200, height: 1000 });
      await view.evaluate(node => (node.scrollTop = 0));
      await page.waitForTimeout(500); // the charts follow the new width
      await view.screenshot({
        path: path.resolve(__dirname, '..', '..', 'docs', 'img', 'run-view.png')
      });
    }
    // "Notebook with results": the end checkpoint holds the outputs, accuracy included.
    const detail = await (
      await request.get(`/mltrack/api/runs/${runId}`)
    ).json();
    const end = view.locator('.jp-mltrack-run-checkpoint[data-kind="end"]');
    await end.locator('.jp-mltrack-open-checkpoint').click();
    const opened = page.locator(
      `#mltrack-checkpoint-${detail.end_checkpoint.id}`
    );
    await expect(opened).toBeVisible();
    await expect(opened).toContainText('test accuracy:');
    // "Code when started": the start checkpoint opens read-only too.
    await command(page, 'mltrack:open-run', { id: runId });
    await view
      .locator(
        '.jp-mltrack-run-checkpoint[data-kind="start"] .jp-mltrack-open-checkpoint'
      )
      .click();
    await expect(
      page.locator(`#mltrack-checkpoint-${detail.checkpoint.id}`)
    ).toBeVisible();
  });

  test('a running run draws new points live, without reloading the chart', async ({
    page,
    request
  }) => {
    const live = await startLive(request, project('ui-live'), 'live-chart');
    try {
      await command(page, 'mltrack:open-run', { id: live.id });
      const chart = page.locator(
        `#mltrack-run-view-${live.id} .jp-mltrack-chart[data-field="train/loss"]`
      );
      await expect(chart).toHaveAttribute('data-points', /^[1-9]/, {
        timeout: 15000
      });
      const result = await chart.evaluate(async node => {
        const canvas = node.querySelector('canvas');
        const changes: number[] = [];
        let last = node.getAttribute('data-points');
        const start = performance.now();
        while (performance.now() - start < 6000) {
          await new Promise(r => setTimeout(r, 25));
          const now = node.getAttribute('data-points');
          if (now !== last) {
            changes.push(performance.now() - start);
            last = now;
          }
        }
        const gaps = changes.map((t, i) => t - (i ? changes[i - 1] : 0));
        return {
          changes: changes.length,
          maxGap: Math.max(...gaps),
          sameCanvas: node.querySelector('canvas') === canvas,
          points: Number(last)
        };
      });
      console.log(
        `live chart: ${result.changes} updates in 6 s, longest wait ${result.maxGap.toFixed(0)} ms ` +
          `(target: new points within 2000 ms), ${result.points} points`
      );
      expect(result.changes).toBeGreaterThanOrEqual(3);
      expect(result.maxGap).toBeLessThanOrEqual(2000);
      expect(result.sameCanvas).toBe(true);
    } finally {
      live.proc.kill('SIGKILL');
    }
  });

  test('Abort ends a real running script as aborted', async ({
    page,
    request
  }) => {
    const live = await startLive(request, project('ui-abort'), 'to-abort');
    try {
      await command(page, 'mltrack:open-run', { id: live.id });
      const view = page.locator(`#mltrack-run-view-${live.id}`);
      await expect(view.locator('.jp-mltrack-state').first()).toHaveText(
        'running'
      );
      await view.locator('.jp-mltrack-abort').click();
      await page.locator('.jp-Dialog .jp-mod-accept').click();
      // The script's heartbeat sees the request, ends the run and is interrupted (exit 3).
      expect(await live.exited).toBe(3);
      await expect(view.locator('.jp-mltrack-state').first()).toHaveText(
        'aborted',
        {
          timeout: 10000
        }
      );
      await expect(view.locator('.jp-mltrack-abort')).toHaveCount(0);
      const detail = await (
        await request.get(`/mltrack/api/runs/${live.id}`)
      ).json();
      expect(detail.sys['sys/state']).toBe('aborted');
    } finally {
      live.proc.kill('SIGKILL');
    }
  });
});
