import { FakeSettings } from '../../__tests__/fakeSettings';
import { SeriesCharts } from '../charts';
import {
  ChartPreferences,
  ChartPreferencesSync,
  DEFAULT_CHART_PREFS,
  readChartPrefs
} from '../prefs';

const noSeries = () => Promise.reject(new Error('no series in this test'));

describe('chart preferences', () => {
  it('read the settings, with the defaults for anything missing or mistyped', () => {
    expect(readChartPrefs({})).toEqual(DEFAULT_CHART_PREFS);
    expect(
      readChartPrefs({
        chartXAxis: 'relative',
        chartSmoothing: 0.6,
        chartLogScale: true
      })
    ).toEqual({ xAxis: 'relative', smoothing: 0.6, log: true });
    expect(
      readChartPrefs({
        chartXAxis: 'epoch',
        chartSmoothing: 3,
        chartLogScale: 'yes'
      })
    ).toEqual(DEFAULT_CHART_PREFS);
  });

  it('load from the settings and write a change back, once per key', async () => {
    const settings = new FakeSettings();
    settings.composite = { chartLogScale: true };
    const prefs = new ChartPreferences();
    const sync = new ChartPreferencesSync(prefs, settings);
    expect(prefs.prefs.log).toBe(true);
    prefs.prefs = { ...prefs.prefs, smoothing: 0.8 };
    await Promise.resolve();
    expect(settings.writes).toEqual([['chartSmoothing', 0.8]]);
    settings.composite = { ...settings.composite, chartXAxis: 'time' };
    settings.changed.emit();
    expect(prefs.prefs).toEqual({ xAxis: 'time', smoothing: 0.8, log: true });
    sync.dispose();
  });

  it('are what a new chart bar starts from, and what its controls set', () => {
    const prefs = new ChartPreferences();
    prefs.prefs = { xAxis: 'time', smoothing: 0.5, log: true };
    const charts = new SeriesCharts({ fetch: noSeries, prefs });
    const node = charts.node;
    const axis = node.querySelector<HTMLSelectElement>('.jp-mltrack-x-axis')!;
    const smoothing = node.querySelector<HTMLInputElement>(
      '.jp-mltrack-smoothing'
    )!;
    const log = node.querySelector<HTMLInputElement>('.jp-mltrack-log-scale')!;
    expect([axis.value, smoothing.value, log.checked]).toEqual([
      'time',
      '0.5',
      true
    ]);

    log.checked = false;
    log.dispatchEvent(new Event('change'));
    expect(prefs.prefs.log).toBe(false);
    // Dragging the slider redraws; letting it go saves.
    smoothing.value = '0.2';
    smoothing.dispatchEvent(new Event('input'));
    expect(charts.chartPrefs.smoothing).toBe(0.2);
    expect(prefs.prefs.smoothing).toBe(0.5);
    smoothing.dispatchEvent(new Event('change'));
    expect(prefs.prefs.smoothing).toBe(0.2);

    // Another tab (or the settings editor) changes them: this bar follows.
    prefs.prefs = { xAxis: 'relative', smoothing: 0.9, log: true };
    expect([axis.value, smoothing.value, log.checked]).toEqual([
      'relative',
      '0.9',
      true
    ]);
    charts.dispose();
  });

  it('are left alone by a bar without them (the hardware charts)', () => {
    const charts = new SeriesCharts({ fetch: noSeries });
    const log = charts.node.querySelector<HTMLInputElement>(
      '.jp-mltrack-log-scale'
    )!;
    expect(log.checked).toBe(false);
    log.checked = true;
    log.dispatchEvent(new Event('change'));
    expect(charts.chartPrefs.log).toBe(true);
    charts.dispose();
  });
});
