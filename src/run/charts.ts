/**
 * Charts of float series, one per field path, each overlaying one line per run: the run
 * view (one run, live while it runs) and compare (N runs) both use it. The bar above picks
 * the x axis (step or time), the smoothing and a log scale; each chart titles its axes (the
 * series path, with its unit where known, on y).
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Panel, Widget } from '@lumino/widgets';

import { IMarker, LineChart, XAxis } from '../charts/chart';
import { defaultTrans } from '../i18n';
import { SeriesFeed, SeriesFetch } from './feed';
import { ChartPreferences, IChartPrefs } from './prefs';

export interface IChartsOptions {
  fetch: SeriesFetch;
  /** Points per line asked of the server. */
  maxPoints?: number;
  /**
   * The global chart preferences (prefs.ts) this bar starts from and writes to; without
   * them (the hardware charts) the bar's choices stay in this view.
   */
  prefs?: ChartPreferences;
  trans?: TranslationBundle;
}

interface IChartEntry {
  chart: LineChart;
  feeds: SeriesFeed[];
  polling: boolean;
  /** On screen: only these poll (the others catch up from `after_step` when shown). */
  visible: boolean;
}

export class SeriesCharts extends Panel {
  constructor(options: IChartsOptions) {
    super();
    this._fetch = options.fetch;
    this._maxPoints = options.maxPoints ?? 2000;
    const trans = (this._trans = options.trans ?? defaultTrans());
    this._prefs = options.prefs ?? null;
    if (this._prefs) {
      const { xAxis, smoothing, log } = this._prefs.prefs;
      this._axis = xAxis;
      this._smoothing = smoothing;
      this._log = log;
    }
    this.addClass('jp-mltrack-charts');
    const bar = new Widget();
    bar.addClass('jp-mltrack-charts-bar');
    const axis = document.createElement('select');
    axis.className = 'jp-mltrack-x-axis';
    axis.setAttribute('aria-label', trans.__('x axis'));
    for (const [value, label] of [
      ['step', trans.__('x: step')],
      ['time', trans.__('x: time')],
      ['relative', trans.__('x: seconds from start')]
    ]) {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = label;
      axis.appendChild(option);
    }
    axis.value = this._axis;
    axis.addEventListener('change', () => {
      void this.setAxis(axis.value as XAxis);
      this._save();
    });
    const smoothing = document.createElement('input');
    smoothing.type = 'range';
    smoothing.min = '0';
    smoothing.max = '0.99';
    smoothing.step = '0.01';
    smoothing.value = String(this._smoothing);
    smoothing.className = 'jp-mltrack-smoothing';
    smoothing.setAttribute('aria-label', trans.__('smoothing'));
    const smoothingLabel = document.createElement('label');
    smoothingLabel.textContent = trans.__('smoothing') + ' ';
    smoothingLabel.appendChild(smoothing);
    smoothing.addEventListener('input', () =>
      this._setSmoothing(Number(smoothing.value))
    );
    // Saved once the slider is let go, not at every step of a drag.
    smoothing.addEventListener('change', () => this._save());
    const log = document.createElement('input');
    log.type = 'checkbox';
    log.className = 'jp-mltrack-log-scale';
    log.checked = this._log;
    const logLabel = document.createElement('label');
    logLabel.append(log, ' ' + trans.__('log scale'));
    log.addEventListener('change', () => {
      this._setLog(log.checked);
      this._save();
    });
    this._controls = { axis, smoothing, log };
    this._prefs?.changed.connect(this._onPrefs, this);
    bar.node.append(axis, smoothingLabel, logLabel);
    this.addWidget(bar);
    this._grid = new Panel();
    this._grid.addClass('jp-mltrack-chart-grid');
    this.addWidget(this._grid);
    this.hide(); // until there is a chart to show
    if (typeof IntersectionObserver !== 'undefined') {
      this._observer = new IntersectionObserver(records => {
        for (const record of records) {
          const field = (record.target as HTMLElement).dataset.field ?? '';
          const entry = this._charts.get(field);
          if (entry) {
            entry.visible = record.isIntersecting;
          }
        }
      });
    }
  }

  dispose(): void {
    this._prefs?.changed.disconnect(this._onPrefs, this);
    this._observer?.disconnect();
    super.dispose();
  }

  get charts(): ReadonlyMap<string, LineChart> {
    const out = new Map<string, LineChart>();
    this._charts.forEach((e, k) => out.set(k, e.chart));
    return out;
  }

  /**
   * Show `field` for each of `runs` (id and label) unless it is shown already; resolves once
   * the lines are drawn.
   */
  async showField(
    field: string,
    runs: { id: string; label: string }[],
    options: { unit?: string; marker?: IMarker | null } = {}
  ): Promise<void> {
    if (this._charts.has(field)) {
      return;
    }
    const chart = new LineChart({
      title: field,
      xAxis: this._axis,
      smoothing: this._smoothing,
      unit: options.unit,
      log: this._log,
      trans: this._trans
    });
    chart.marker = options.marker ?? null;
    const feeds = runs.map(
      run =>
        new SeriesFeed({
          runId: run.id,
          field,
          fetch: this._fetch,
          maxPoints: this._maxPoints,
          axis: this._axis
        })
    );
    const entry = { chart, feeds, polling: false, visible: true };
    this._charts.set(field, entry);
    this.show();
    this._grid.addWidget(chart);
    this._observer?.observe(chart.node);
    await this._loadAll(
      entry,
      runs.map(r => r.label)
    );
  }

  /** Append new points of every chart (live runs); one request per line, none overlapping. */
  async poll(): Promise<void> {
    await Promise.all(
      [...this._charts.values()].map(async entry => {
        if (entry.polling || !entry.visible) {
          return;
        }
        entry.polling = true;
        try {
          const updates = await Promise.all(entry.feeds.map(f => f.poll()));
          if (updates.some(u => u.reset)) {
            entry.chart.setLines(
              entry.feeds.map((f, i) => ({
                label: entry.chart.lines[i]?.label ?? f.runId,
                x: [...f.x],
                y: [...f.y]
              }))
            );
          } else {
            updates.forEach((u, i) => entry.chart.append(i, u.x, u.y));
          }
        } catch {
          // A failed poll is retried on the next tick.
        } finally {
          entry.polling = false;
        }
      })
    );
  }

  async setAxis(axis: XAxis): Promise<void> {
    this._axis = axis;
    await Promise.all(
      [...this._charts.values()].map(entry => {
        entry.chart.xAxis = axis;
        entry.feeds.forEach(f => (f.axis = axis));
        return this._loadAll(
          entry,
          entry.chart.lines.map(l => l.label)
        );
      })
    );
  }

  /** The x axis, smoothing and log scale the charts are drawn with. */
  get chartPrefs(): IChartPrefs {
    return { xAxis: this._axis, smoothing: this._smoothing, log: this._log };
  }

  private _setSmoothing(weight: number): void {
    this._smoothing = weight;
    this._charts.forEach(e => (e.chart.smoothing = weight));
  }

  private _setLog(on: boolean): void {
    this._log = on;
    this._charts.forEach(e => (e.chart.log = on));
  }

  /** The user changed the bar: the global preferences follow. */
  private _save(): void {
    if (this._prefs) {
      this._prefs.prefs = this.chartPrefs;
    }
  }

  /** The preferences changed elsewhere (another tab, the settings): follow them. */
  private _onPrefs(_: ChartPreferences, prefs: IChartPrefs): void {
    const { axis, smoothing, log } = this._controls;
    if (prefs.xAxis !== this._axis) {
      axis.value = prefs.xAxis;
      void this.setAxis(prefs.xAxis);
    }
    if (prefs.smoothing !== this._smoothing) {
      smoothing.value = String(prefs.smoothing);
      this._setSmoothing(prefs.smoothing);
    }
    if (prefs.log !== this._log) {
      log.checked = prefs.log;
      this._setLog(prefs.log);
    }
  }

  private async _loadAll(entry: IChartEntry, labels: string[]): Promise<void> {
    // A run without this series (compare) draws no line rather than failing the chart.
    await Promise.all(entry.feeds.map(f => f.load().catch(() => null)));
    entry.chart.setLines(
      entry.feeds.map((f, i) => ({
        label: labels[i] ?? f.runId,
        x: [...f.x],
        y: [...f.y]
      }))
    );
  }

  private _fetch: SeriesFetch;
  private _prefs: ChartPreferences | null;
  private _controls: {
    axis: HTMLSelectElement;
    smoothing: HTMLInputElement;
    log: HTMLInputElement;
  };
  private _trans: TranslationBundle;
  private _maxPoints: number;
  private _axis: XAxis = 'step';
  private _smoothing = 0;
  private _log = false;
  private _grid: Panel;
  private _charts = new Map<string, IChartEntry>();
  private _observer: IntersectionObserver | null = null;
}
