/**
 * Compare N runs: overlaid curves per metric (x by step or time, smoothing), a parameters
 * table with the rows that differ highlighted, and the notebook diff between two runs'
 * checkpoints (through the checkpoint diff command).
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Panel, Widget } from '@lumino/widgets';

import { lineColor } from '../charts/chart';
import { defaultTrans } from '../i18n';
import { SeriesCharts } from '../run/charts';
import { el, section } from '../run/sections';
import { FLOAT_SERIES, IRunDetail, ISeries, ISeriesQuery } from '../runs/api';
import { paramRows } from './params';

/** Milliseconds between live polls when some of the runs are running. */
const LIVE_MS = 2000;

export interface ICompareOptions {
  runIds: string[];
  getRun: (id: string) => Promise<IRunDetail>;
  getSeries: (id: string, field: string, q: ISeriesQuery) => Promise<ISeries>;
  /** Open the notebook diff of two checkpoints. */
  diff: (base: string, remote: string) => void;
  openRun: (id: string) => void;
  trans?: TranslationBundle;
}

export class CompareView extends Panel {
  constructor(options: ICompareOptions) {
    super();
    this._options = options;
    const trans = (this._trans = options.trans ?? defaultTrans());
    this.addClass('jp-mltrack-compare');
    this.id = `mltrack-compare-view-${options.runIds.join('-')}`;
    this.title.label = trans.__('Compare %1 runs', options.runIds.length);
    this.title.closable = true;
    this._top = new Widget();
    this._top.addClass('jp-mltrack-compare-top');
    this.charts = new SeriesCharts({ fetch: options.getSeries, trans });
    this.addWidget(this._top);
    this.addWidget(this.charts);
    this.ready = this._load();
  }

  readonly charts: SeriesCharts;
  /** Resolves once the tables and every chart are drawn. */
  readonly ready: Promise<void>;

  private async _load(): Promise<void> {
    const details = await Promise.all(
      this._options.runIds.map(id => this._options.getRun(id).catch(() => null))
    );
    const runs = details.filter((d): d is IRunDetail => d !== null);
    this._top.node.replaceChildren(
      this._legend(runs),
      this._notebookDiff(runs),
      this._params(runs)
    );
    const labels = runs.map(r => ({
      id: r.id,
      label: `${r.id} ${String(r.sys['sys/name'] ?? '')}`.trim()
    }));
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
    await Promise.all(
      [...series].sort().map(path => {
        const having = labels.filter((_, i) =>
          runs[i].fields.some(f => f.path === path && f.type === FLOAT_SERIES)
        );
        return this.charts.showField(path, having);
      })
    );
  }

  private _legend(runs: IRunDetail[]): HTMLElement {
    const legend = el('div', 'jp-mltrack-compare-legend');
    runs.forEach((run, i) => {
      const item = el('button', 'jp-mltrack-compare-run');
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
    const toggle = el('input');
    toggle.type = 'checkbox';
    only.append(
      toggle,
      document.createTextNode(' ' + trans.__('only differences'))
    );
    box.appendChild(only);
    const table = el('table', 'jp-mltrack-params');
    const head = el('tr');
    head.appendChild(el('th', '', trans.__('field')));
    runs.forEach(r => head.appendChild(el('th', '', r.id)));
    table.appendChild(head);
    for (const row of paramRows(runs)) {
      const tr = el('tr');
      tr.dataset.path = row.path;
      tr.classList.toggle('jp-mod-different', row.different);
      tr.appendChild(el('td', 'jp-mltrack-param-path', row.path));
      row.values.forEach(v => tr.appendChild(el('td', '', v)));
      table.appendChild(tr);
    }
    toggle.addEventListener('change', () =>
      table.classList.toggle('jp-mod-only-different', toggle.checked)
    );
    box.appendChild(table);
    return box;
  }

  private _notebookDiff(runs: IRunDetail[]): HTMLElement {
    const trans = this._trans;
    const box = el('div', 'jp-mltrack-compare-notebooks');
    // Older checkpoint on the left, as the checkpoint history compares.
    const linked = runs
      .filter(r => r.checkpoint)
      .sort(
        (a, b) =>
          Number(a.checkpoint!.created_at) - Number(b.checkpoint!.created_at)
      );
    if (linked.length < 2) {
      box.appendChild(
        el(
          'span',
          'jp-mltrack-muted',
          trans.__(
            'Notebook diff: fewer than two of these runs have a notebook checkpoint.'
          )
        )
      );
      return box;
    }
    const pick = (index: number): HTMLSelectElement => {
      const select = el('select', 'jp-mltrack-diff-side');
      for (const run of linked) {
        const option = el(
          'option',
          '',
          `${run.id} (${run.checkpoint!.notebook_path})`
        );
        option.value = run.checkpoint!.id;
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
    go.addEventListener('click', () =>
      this._options.diff(base.value, remote.value)
    );
    box.append(
      el('span', '', trans.__('Notebook diff:') + ' '),
      base,
      el('span', '', ' → '),
      remote,
      go
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
}
