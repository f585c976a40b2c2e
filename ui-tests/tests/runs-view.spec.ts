import { expect, test } from '@jupyterlab/galata';

import { code, notebook, writeNotebook } from './helpers';
import { command, fixture, project, startLive } from './runsFixtures';

test.describe('run view', () => {
  test('fields, charts, console, gallery, checkpoint; run strings stay text', async ({
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

    // Charts of both float series, every point (200 < the 2,000 asked for).
    for (const field of ['train/loss', 'val/acc']) {
      const chart = view.locator(`.jp-mltrack-chart[data-field="${field}"]`);
      await expect(chart.locator('canvas')).toHaveCount(1);
      await expect(chart).toHaveAttribute('data-points', '200');
    }
    // The image series: served by the files endpoint and decoded.
    const image = view.locator('.jp-mltrack-gallery img');
    await expect(image).toHaveCount(1);
    await expect
      .poll(() => image.evaluate(img => (img as HTMLImageElement).naturalWidth))
      .toBe(8);
    // The field tree and the tags.
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
      view.locator('.jp-mltrack-field-value'),
      view.locator('.jp-mltrack-gallery figcaption'),
      view.locator('.u-legend')
    ];
    expect(await view.screenshot({ mask })).toMatchSnapshot('run-view.png', {
      maxDiffPixelRatio: 0.05
    });

    // The linked checkpoint: open it read-only, and diff it against the notebook now.
    await expect(view.locator('.jp-mltrack-run-checkpoint-name')).toContainText(
      'before training'
    );
    await view.locator('.jp-mltrack-open-checkpoint').click();
    await expect(
      page.locator(`#mltrack-checkpoint-${checkpoint.id}`)
    ).toBeVisible();
    await command(page, 'mltrack:open-run', { id: ids[0] });
    await view.locator('.jp-mltrack-diff-current').click();
    await expect(
      page.locator(`#mltrack-diff-${checkpoint.id}-current`)
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
