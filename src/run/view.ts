/**
 * One run, in the order a data scientist reads it (issue 18.2): name, state, duration, the
 * notebook with its start and end checkpoints and the fork lineage; the parameters and final
 * metrics; charts of the metrics (axis titles, units, hover values, smoothing, log scale),
 * histograms and the image gallery; the cells that logged each series; then, collapsed, the
 * run's context: hardware charts, console, git, environment and every field.
 * While the run is running the view polls: charts and consoles get the new points every
 * second (`after_step`), the rest every few seconds; nothing is rebuilt that did not change.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';
import { Panel, Widget } from '@lumino/widgets';

import { defaultTrans } from '../i18n';
import { FLOAT_SERIES, IRunDetail, ISeries, ISeriesQuery } from '../runs/api';
import { columnLabel, formatCell } from '../runs/format';
import { LISTED_SYS_FIELDS } from '../sysfields';
import { ICheckpointWithContent } from '../tokens';
import { CellsSection } from './cells';
import { IRunCells } from './api';
import { SeriesCharts } from './charts';
import { HardwareCharts, RunContext } from './context';
import { lineageBlock, notebookBlock, summaryBlock } from './header';
import { ChartPreferences } from './prefs';
import { HistogramBlock } from './histograms';
import { GalleryBlock } from './media';
import { el, filesList, ICheckpointActions, section } from './sections';
import {
  isContextField,
  isHistogramSeries,
  summarize,
  unitOf
} from './summary';

export interface IRunViewOptions {
  runId: string;
  getRun: (id: string) => Promise<IRunDetail>;
  getSeries: (id: string, field: string, q: ISeriesQuery) => Promise<ISeries>;
  abort: (id: string) => Promise<unknown>;
  checkpoint: ICheckpointActions;
  /** Which cell logged which points (default: `GET runs/<id>/cells`). */
  getCells?: (id: string) => Promise<IRunCells>;
  /** A checkpoint with its notebook, for the cells' code (default: `GET checkpoints/<id>`). */
  getCheckpoint?: (id: string) => Promise<ICheckpointWithContent>;
  /** Open another run (a fork's parent, a parent's forks); default: follow its link. */
  openRun?: (id: string) => void;
  /** Milliseconds between live polls of the points (default 1000). */
  pollMs?: number;
  /** The global chart preferences (x axis, smoothing, log scale; run/prefs.ts). */
  chartPrefs?: ChartPreferences;
  /**
   * Collapsed sections to show open (`hardware` and `CONTEXT_SECTIONS`): a restored tab's,
   * kept per view by the layout restorer.
   */
  openSections?: readonly string[];
  trans?: TranslationBundle;
}

/** The facts under the title: the registry's summary fields, the duration first. */
const HEADER_FIELDS = LISTED_SYS_FIELDS.filter(f => f.summary)
  .map(f => f.path)
  .sort((a, b) => Number(b === 'sys/duration') - Number(a === 'sys/duration'));

export class RunView extends Panel {
  constructor(options: IRunViewOptions) {
    super();
    this._options = options;
    this._trans = options.trans ?? defaultTrans();
    this.runId = options.runId;
    this.addClass('jp-mltrack-run');
    this.id = `mltrack-run-view-${options.runId}`;
    this.title.label = options.runId;
    this.title.closable = true;
    const widget = (className: string): Widget => {
      const w = new Widget();
      w.addClass(className);
      return w;
    };
    this._header = widget('jp-mltrack-run-header');
    this._summary = widget('jp-mltrack-run-summary-box');
    this._charts = new SeriesCharts({
      fetch: options.getSeries,
      prefs: options.chartPrefs,
      trans: this._trans
    });
    this._charts.addClass('jp-mltrack-run-metric-charts');
    this._histograms = new Panel();
    this._histograms.addClass('jp-mltrack-run-histograms');
    this._histograms.hide();
    this._body = widget('jp-mltrack-run-body');
    const open = options.openSections ?? [];
    this._hardware = new HardwareCharts(options.getSeries, this._trans);
    if (open.includes('hardware')) {
      this._hardware.toggle(); // drawn once the run's hardware series are known
    }
    this._hardware.toggled.connect(() => this._sectionsChanged.emit());
    this._context = new RunContext(
      this.runId,
      options.getSeries,
      this._trans,
      open
    );
    this._context.toggled.connect(() => this._sectionsChanged.emit());
    for (const part of [
      this._header,
      this._summary,
      this._charts,
      this._histograms,
      this._body,
      this._hardware,
      this._context
    ]) {
      this.addWidget(part);
    }
    this.ready = this.refresh();
  }

  readonly runId: string;
  /** Resolves once the first load is drawn. */
  readonly ready: Promise<void>;

  get detail(): IRunDetail | null {
    return this._detail;
  }
  get charts(): SeriesCharts {
    return this._charts;
  }

  /** The collapsed sections the user opened (`hardware`, then `CONTEXT_SECTIONS`). */
  get openSections(): string[] {
    return [
      ...(this._hardware.open ? ['hardware'] : []),
      ...this._context.openSections
    ];
  }

  /** A collapsed section was opened or closed (the plugin saves the tab's args). */
  get sectionsChanged(): ISignal<this, void> {
    return this._sectionsChanged;
  }

  /** Fetch the run again; redraw what changed; start or stop live polling. */
  async refresh(): Promise<void> {
    let detail: IRunDetail;
    try {
      detail = await this._options.getRun(this.runId);
    } catch (reason) {
      this._header.node.replaceChildren(
        el(
          'div',
          'jp-mltrack-error',
          reason instanceof Error ? reason.message : String(reason)
        )
      );
      return;
    }
    if (this.isDisposed) {
      return;
    }
    this._detail = detail;
    this._renderHeader(detail);
    this._summary.node.replaceChildren(
      summaryBlock(summarize(detail.fields), this._trans)
    );
    const fork = detail.fork;
    const marker =
      fork?.parent && typeof fork.step === 'number'
        ? {
            x: fork.step,
            label: this._trans.__('← parent'),
            after: this._trans.__('this fork →')
          }
        : null;
    const pending: Promise<unknown>[] = [];
    const line = [{ id: this.runId, label: this.runId }];
    for (const field of detail.fields) {
      if (field.type !== FLOAT_SERIES) {
        continue;
      }
      if (isContextField(field.path)) {
        this._hardware.add(this.runId, field.path, unitOf(field.path));
      } else {
        pending.push(
          this._charts.showField(field.path, line, {
            unit: unitOf(field.path),
            marker
          })
        );
      }
    }
    const shape = detail.fields.map(f => `${f.path}:${f.type}`).join('|');
    if (shape !== this._shape) {
      this._shape = shape;
      pending.push(this._renderBody(detail));
      this._context.render(detail.fields);
    } else {
      this._context.updateValues(detail.fields);
    }
    if (detail.cells.length !== this._cellCount) {
      this._cellCount = detail.cells.length;
      pending.push(this._renderCells(detail));
    }
    await Promise.all(pending);
    this._setLive(this.running);
  }

  get running(): boolean {
    return this._detail?.sys['sys/state'] === 'running';
  }

  private _renderHeader(detail: IRunDetail): void {
    const trans = this._trans;
    const sys = detail.sys;
    const state = String(sys['sys/state'] ?? '');
    const title = el('div', 'jp-mltrack-run-title');
    title.append(
      el('span', 'jp-mltrack-run-name', String(sys['sys/name'] ?? '')),
      el('span', 'jp-mltrack-state', state),
      el('span', 'jp-mltrack-run-id', detail.id)
    );
    title.children[1].setAttribute('data-state', state);
    if (state === 'running') {
      const abort = el(
        'button',
        'jp-mltrack-button jp-mltrack-abort',
        trans.__('Abort')
      );
      if (sys['sys/abort_requested']) {
        abort.disabled = true;
        abort.textContent = trans.__('Abort requested…');
      }
      abort.addEventListener('click', () => void this._abort());
      title.appendChild(abort);
    }
    const refresh = el(
      'button',
      'jp-mltrack-button jp-mltrack-refresh-run',
      trans.__('Refresh')
    );
    refresh.addEventListener('click', () => void this.refresh());
    title.appendChild(refresh);
    const facts = el('div', 'jp-mltrack-run-facts');
    for (const path of HEADER_FIELDS) {
      const value = formatCell(path, sys[path] as never);
      if (value) {
        const fact = el('span', 'jp-mltrack-run-fact');
        fact.dataset.path = path;
        fact.append(
          el(
            'span',
            'jp-mltrack-label',
            columnLabel(path, trans).replace(/^sys\//, '')
          ),
          ` ${value}`
        );
        facts.appendChild(fact);
      }
    }
    if (detail.tags.length) {
      const tags = el('span', 'jp-mltrack-tags');
      detail.tags.forEach(t =>
        tags.appendChild(el('span', 'jp-mltrack-tag', t))
      );
      facts.appendChild(tags);
    }
    const children: HTMLElement[] = [title, facts];
    const notebook = notebookBlock(
      detail.checkpoint,
      detail.end_checkpoint,
      this._options.checkpoint,
      trans
    );
    if (notebook) {
      children.push(notebook);
    }
    const lineage = lineageBlock(detail.fork, id => this._openRun(id), trans);
    if (lineage) {
      children.push(lineage);
    }
    const description = String(sys['sys/description'] ?? '');
    if (description) {
      children.push(el('p', 'jp-mltrack-run-description', description));
    }
    this._header.node.replaceChildren(...children);
  }

  private _openRun(id: string): void {
    if (this._options.openRun) {
      this._options.openRun(id);
    } else {
      window.location.search = `?mltrack-run=${encodeURIComponent(id)}`;
    }
  }

  private async _renderBody(detail: IRunDetail): Promise<void> {
    const trans = this._trans;
    const pending: Promise<unknown>[] = [];
    // Histograms: string series of JSON histograms, one block each.
    const histograms = detail.fields.filter(isHistogramSeries);
    for (const field of histograms) {
      if (this._histogramBlocks.has(field.path)) {
        continue;
      }
      if (!this._histograms.widgets.length) {
        this._histograms.addWidget(
          new Widget({
            node: el('h3', 'jp-mltrack-section-title', trans.__('Histograms'))
          })
        );
      }
      const block = new HistogramBlock(
        this.runId,
        field.path,
        this._options.getSeries,
        trans
      );
      this._histogramBlocks.set(field.path, block);
      this._histograms.addWidget(block);
      this._histograms.show();
      pending.push(block.update().catch(() => null));
    }
    const nodes: HTMLElement[] = [];
    this._galleries = [];
    const fileSeries = detail.fields.filter(f => f.type === 'file_series');
    if (fileSeries.length) {
      const box = section(
        trans.__('Images and file series'),
        'jp-mltrack-run-gallery'
      );
      for (const field of fileSeries) {
        const block = new GalleryBlock(
          this.runId,
          field.path,
          this._options.getSeries,
          trans
        );
        this._galleries.push(block);
        box.appendChild(block.node);
        pending.push(block.update().catch(() => null));
      }
      nodes.push(box);
    }
    const files = detail.fields.filter(
      f =>
        (f.type === 'file' || f.type === 'file_set') && !isContextField(f.path)
    );
    if (files.length) {
      const box = section(trans.__('Files'), 'jp-mltrack-run-files');
      box.appendChild(filesList(this.runId, files));
      nodes.push(box);
    }
    this._cells = new CellsSection(this.runId, trans, this._options);
    nodes.push(this._cells.node);
    this._body.node.replaceChildren(...nodes);
    this._cellCount = -1; // the box is new: draw the cells again
    await Promise.all(pending);
  }

  /** Per-cell provenance; drawn again with the next refresh when it could not be read. */
  private async _renderCells(detail: IRunDetail): Promise<void> {
    const cells = this._cells;
    if (cells && !(await cells.render(detail)) && cells === this._cells) {
      this._cellCount = -1;
    }
  }

  private _setLive(live: boolean): void {
    if (live && this._timer === 0) {
      const every = this._options.pollMs ?? 1000;
      let ticks = 0;
      this._timer = window.setInterval(() => {
        ticks++;
        void this._charts.poll();
        void this._hardware.poll();
        this._context.poll();
        if (ticks % 3 === 0) {
          this._galleries.forEach(g => void g.update().catch(() => null));
          this._histogramBlocks.forEach(h => void h.update().catch(() => null));
          void this.refresh();
        }
      }, every);
    } else if (!live && this._timer !== 0) {
      window.clearInterval(this._timer);
      this._timer = 0;
      void this._charts.poll(); // the last points logged before the end
      void this._hardware.poll();
    }
  }

  private async _abort(): Promise<void> {
    const trans = this._trans;
    const result = await showDialog({
      title: trans.__('Abort run'),
      body: trans.__(
        'Stop %1? Its process ends the run as "aborted" (data kept) and its code is interrupted.',
        this.runId
      ),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.warnButton({ label: trans.__('Abort') })
      ]
    });
    if (!result.button.accept) {
      return;
    }
    try {
      await this._options.abort(this.runId);
    } catch (reason) {
      void showDialog({
        title: trans.__('Abort failed'),
        body: reason instanceof Error ? reason.message : String(reason),
        buttons: [Dialog.okButton({ label: trans.__('OK') })]
      });
    }
    await this.refresh();
  }

  dispose(): void {
    window.clearInterval(this._timer);
    this._timer = 0;
    super.dispose();
  }

  private _options: IRunViewOptions;
  private _trans: TranslationBundle;
  private _header: Widget;
  private _summary: Widget;
  private _charts: SeriesCharts;
  private _histograms: Panel;
  private _histogramBlocks = new Map<string, HistogramBlock>();
  private _body: Widget;
  private _hardware: HardwareCharts;
  private _context: RunContext;
  private _cells: CellsSection | null = null;
  private _cellCount = -1;
  private _detail: IRunDetail | null = null;
  private _shape = '';
  private _galleries: GalleryBlock[] = [];
  private _timer = 0;
  private _sectionsChanged = new Signal<this, void>(this);
}
