/**
 * Compare N runs: a legend of the runs in their colours, the notebook diff between their
 * checkpoints (end checkpoints, with results, by default; start ones on request) through the
 * checkpoint diff command, the parameters table ("Differences only" hides the rows where all
 * runs agree), a parallel-coordinates plot of the parameters against a chosen metric, and one
 * chart per metric with one line per run in the same colours (x by step or time, smoothing).
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';
import { Panel, Widget } from '@lumino/widgets';

import { lineColor } from '../charts/chart';
import { el } from '../dom';
import { defaultTrans } from '../i18n';
import { SeriesCharts } from '../run/charts';
import { ChartPreferences } from '../run/prefs';
import { FLOAT_SERIES, IRunDetail, ISeries, ISeriesQuery } from '../runs/api';
import { CheckpointKind, notebookSides } from './notebooks';
import { ParallelPlot } from './parallelView';
import { paramRows, visibleRows } from './params';

/** Milliseconds between live polls when some of the runs are running. */
const LIVE_MS = 2000;

function section(title: string, className: string): HTMLElement {
  const node = el('section', `jp-mltrack-run-section ${className}`);
  node.appendChild(el('h3', 'jp-mltrack-section-title', title));
  return node;
}

/**
 * The toggles of a compare tab, kept per tab by the layout restorer (issue 18.5): a reload
 * shows the same parameters, checkpoints and metric. Each is optional: missing, the default.
 */
export interface ICompareState {
  /** "Differences only" on the parameters table. */
  diffOnly?: boolean;
  /** Which checkpoints the notebook diff uses. */
  checkpoints?: CheckpointKind;
  /** The parallel-coordinates metric. */
  metric?: string;
}

/** The state in a restored tab's args, each value checked. */
export function readCompareState(args: {
  readonly [key: string]: unknown;
}): ICompareState {
  const state: ICompareState = {};
  if (typeof args.diffOnly === 'boolean') {
    state.diffOnly = args.diffOnly;
  }
  if (args.checkpoints === 'start' || args.checkpoints === 'end') {
    state.checkpoints = args.checkpoints;
  }
  if (typeof args.metric === 'string' && args.metric) {
    state.metric = args.metric;
  }
  return state;
}

export interface ICompareOptions {
  runIds: string[];
  getRun: (id: string) => Promise<IRunDetail>;
  getSeries: (id: string, field: string, q: ISeriesQuery) => Promise<ISeries>;
  /** Open the notebook diff of two checkpoints. */
  diff: (base: string, remote: string) => void;
  openRun: (id: string) => void;
  /** The toggles to start with (a restored tab's). */
  state?: ICompareState;
  /** The global chart preferences (x axis, smoothing, log scale; run/prefs.ts). */
  chartPrefs?: ChartPreferences;
  trans?: TranslationBundle;
}

export class CompareView extends Panel {
  constructor(options: ICompareOptions) {
    super();
    this._options = options;
    const trans = (this._trans = options.trans ?? defaultTrans());
    this._state = { ...options.state };
    this.addClass('jp-mltrack-compare');
    this.id = `mltrack-compare-view-${options.runIds.join('-')}`;
    this.title.label = trans.__('Compare %1 runs', options.runIds.length);
    this.title.closable = true;
    this._top = new Widget();
    this._top.addClass('jp-mltrack-compare-top');
    this.charts = new SeriesCharts({
      fetch: options.getSeries,
      prefs: options.chartPrefs,
      trans
    });
    this.addWidget(this._top);
    this.addWidget(this.charts);
    this.ready = this._load();
  }

  readonly charts: SeriesCharts;
  /** The parallel-coordinates plot, once the runs are loaded. */
  parallel: ParallelPlot | null = null;
  /** Resolves once the tables and every chart are drawn. */
  readonly ready: Promise<void>;

  /** The toggles as the user left them. */
  get state(): ICompareState {
    return { ...this._state };
  }

  /** A toggle changed (the plugin saves the tab's args). */
  get stateChanged(): ISignal<this, ICompareState> {
    return this._stateChanged;
  }

  private _setState(change: ICompareState): void {
    this._state = { ...this._state, ...change };
    this._stateChanged.emit(this.state);
  }

  private async _load(): Promise<void> {
    const details = await Promise.all(
      this._options.runIds.map(id => this._options.getRun(id).catch(() => null))
    );
    const runs = details.filter((d): d is IRunDetail => d !== null);
    const labels = runs.map(r => ({
      id: r.id,
      label: `${r.id} ${String(r.sys['sys/name'] ?? '')}`.trim()
    }));
    this.parallel = new ParallelPlot({
      runs,
      labels: new Map(runs.map(r => [r.id, String(r.sys['sys/name'] ?? '')])),
      openRun: this._options.openRun,
      metric: this._state.metric,
      onMetric: metric => this._setState({ metric }),
      trans: this._trans
    });
    this._top.node.replaceChildren(
      this._legend(runs),
      this._notebookDiff(runs),
      this._params(runs),
      this.parallel.node
    );
    const series = new Set<string>();
    runs.forEach(r =>
      r.fields
        .filter(f => f.type === FLOAT_SERIES)
        .forEach(f => series.add(f.path))
    );
    if (runs.some(r => r.sys['sys/state'] === 'running')) {
      // Running runs keep drawing; the view stops polling when it is closed.
      this._timer = window.setInterval(() => void this.charts.poll(), LIVE_MS);
    }
    // Every chart holds one line per run, in the run's place, so a run has the same colour
    // in each chart and in the legend above (a run without the series draws no line).
    await Promise.all(
      [...series].sort().map(path => this.charts.showField(path, labels))
    );
  }

  private _legend(runs: IRunDetail[]): HTMLElement {
    const legend = el('div', 'jp-mltrack-compare-legend');
    runs.forEach((run, i) => {
      const item = el('button', 'jp-mltrack-compare-run');
      item.type = 'button';
      item.dataset.run = run.id;
      item.style.borderLeftColor = lineColor(i);
      item.append(
        el('span', 'jp-mltrack-run-id', run.id),
        el('span', '', ` ${String(run.sys['sys/name'] ?? '')} `),
        el('span', 'jp-mltrack-state', String(run.sys['sys/state'] ?? ''))
      );
      item.title = this._trans.__('Open %1', run.id);
      item.addEventListener('click', () => this._options.openRun(run.id));
      legend.appendChild(item);
    });
    return legend;
  }

  private _params(runs: IRunDetail[]): HTMLElement {
    const trans = this._trans;
    const box = section(trans.__('Parameters'), 'jp-mltrack-compare-params');
    const only = el('label', 'jp-mltrack-only-diff');
    const toggle = el('input', '');
    toggle.type = 'checkbox';
    toggle.checked = this._state.diffOnly ?? false;
    only.append(
      toggle,
      document.createTextNode(' ' + trans.__('Differences only'))
    );
    box.appendChild(only);
    const table = el('table', 'jp-mltrack-params');
    const head = el('tr', '');
    head.appendChild(el('th', '', trans.__('field')));
    runs.forEach((r, i) => {
      const th = el('th', 'jp-mltrack-params-run', r.id);
      th.style.borderBottomColor = lineColor(i);
      head.appendChild(th);
    });
    const rows = paramRows(runs);
    const render = (): void => {
      const shown = visibleRows(rows, toggle.checked);
      table.replaceChildren(
        head,
        ...shown.map(row => {
          const tr = el('tr', '');
          tr.dataset.path = row.path;
          tr.classList.toggle('jp-mod-different', row.different);
          tr.appendChild(el('td', 'jp-mltrack-param-path', row.path));
          row.values.forEach(v => tr.appendChild(el('td', '', v)));
          return tr;
        })
      );
      table.classList.toggle('jp-mod-only-different', toggle.checked);
      empty.hidden = shown.length > 0;
    };
    const empty = el(
      'p',
      'jp-mltrack-muted jp-mltrack-params-same',
      trans.__('All these runs have the same parameters.')
    );
    toggle.addEventListener('change', () => {
      render();
      this._setState({ diffOnly: toggle.checked });
    });
    render();
    box.append(table, empty);
    return box;
  }

  private _notebookDiff(runs: IRunDetail[]): HTMLElement {
    const trans = this._trans;
    const box = el('div', 'jp-mltrack-compare-notebooks');
    const kind = el('select', 'jp-mltrack-diff-kind');
    kind.setAttribute('aria-label', trans.__('Which checkpoints'));
    for (const [value, label] of [
      ['end', trans.__('notebooks with results (end checkpoints)')],
      ['start', trans.__('code when started (start checkpoints)')]
    ]) {
      const option = el('option', '', label);
      option.value = value;
      kind.appendChild(option);
    }
    kind.value = this._state.checkpoints ?? 'end';
    const sidesBox = el('span', 'jp-mltrack-diff-sides');
    const render = (): void => {
      const sides = notebookSides(runs, kind.value as CheckpointKind);
      if (sides.length < 2) {
        sidesBox.replaceChildren(
          el(
            'span',
            'jp-mltrack-muted',
            trans.__('fewer than two of these runs have a notebook checkpoint.')
          )
        );
        return;
      }
      const pick = (index: number): HTMLSelectElement => {
        const select = el('select', 'jp-mltrack-diff-side');
        for (const side of sides) {
          const what =
            side.kind === 'end' ? trans.__('end') : trans.__('start');
          const path = side.checkpoint.notebook_path;
          const option = el(
            'option',
            '',
            `${side.runId} ${what}: ${path.split('/').pop() ?? path}`
          );
          option.title = path;
          option.value = side.checkpoint.id;
          option.dataset.kind = side.kind;
          select.appendChild(option);
        }
        select.selectedIndex = index;
        return select;
      };
      const base = pick(0);
      const remote = pick(1);
      const go = el(
        'button',
        'jp-mltrack-button jp-mltrack-diff-notebooks',
        trans.__('Diff notebooks')
      );
      go.type = 'button';
      go.addEventListener('click', () =>
        this._options.diff(base.value, remote.value)
      );
      sidesBox.replaceChildren(base, el('span', '', ' → '), remote, go);
    };
    kind.addEventListener('change', () => {
      render();
      this._setState({ checkpoints: kind.value as CheckpointKind });
    });
    render();
    box.append(
      el('span', '', trans.__('Notebook diff:') + ' '),
      kind,
      sidesBox
    );
    return box;
  }

  dispose(): void {
    window.clearInterval(this._timer);
    super.dispose();
  }

  private _options: ICompareOptions;
  private _trans: TranslationBundle;
  private _top: Widget;
  private _timer = 0;
  private _state: ICompareState;
  private _stateChanged = new Signal<this, ICompareState>(this);
}
