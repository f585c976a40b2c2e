/**
 * One run: its state and `sys/` values, an Abort button while it runs, charts of its float
 * series (metrics and hardware), console output, image galleries, files, the source/git/
 * requirements fields, per-cell timings, the linked checkpoint and the whole field tree.
 * While the run is running the view polls: charts and consoles get the new points every
 * second (`after_step`), the rest every few seconds; nothing is rebuilt that did not change.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Panel, Widget } from '@lumino/widgets';

import { defaultTrans } from '../i18n';
import {
  FLOAT_SERIES,
  IRunDetail,
  IRunField,
  ISeries,
  ISeriesQuery
} from '../runs/api';
import { formatCell } from '../runs/format';
import { LISTED_SYS_FIELDS } from '../sysfields';
import { SeriesCharts } from './charts';
import { ConsoleBlock, GalleryBlock } from './media';
import {
  cellsTable,
  checkpointBlock,
  describeField,
  el,
  fieldTree,
  filesList,
  ICheckpointActions,
  section
} from './sections';

export interface IRunViewOptions {
  runId: string;
  getRun: (id: string) => Promise<IRunDetail>;
  getSeries: (id: string, field: string, q: ISeriesQuery) => Promise<ISeries>;
  abort: (id: string) => Promise<unknown>;
  checkpoint: ICheckpointActions;
  /** Milliseconds between live polls of the points (default 1000). */
  pollMs?: number;
  trans?: TranslationBundle;
}

/** The facts under the title: the registry's summary fields. */
const HEADER_FIELDS = LISTED_SYS_FIELDS.filter(f => f.summary).map(f => f.path);

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

    this._header = new Widget();
    this._header.addClass('jp-mltrack-run-header');
    this._charts = new SeriesCharts({
      fetch: options.getSeries,
      trans: this._trans
    });
    this._body = new Widget();
    this._body.addClass('jp-mltrack-run-body');
    this.addWidget(this._header);
    this.addWidget(this._charts);
    this.addWidget(this._body);
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
    const shape = detail.fields.map(f => `${f.path}:${f.type}`).join('|');
    const pending: Promise<unknown>[] = [];
    for (const field of detail.fields) {
      if (field.type === FLOAT_SERIES) {
        pending.push(
          this._charts.showField(field.path, [
            { id: this.runId, label: this.runId }
          ])
        );
      }
    }
    if (shape !== this._shape) {
      this._shape = shape;
      pending.push(this._renderBody(detail));
    } else {
      this._updateValues(detail.fields);
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
      el('span', 'jp-mltrack-run-id', detail.id),
      el('span', 'jp-mltrack-run-name', String(sys['sys/name'] ?? '')),
      el('span', 'jp-mltrack-state', state)
    );
    title.lastElementChild!.setAttribute('data-state', state);
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
        facts.appendChild(el('span', '', `${path.slice(4)}: ${value}`));
      }
    }
    if (detail.tags.length) {
      const tags = el('span', 'jp-mltrack-tags');
      detail.tags.forEach(t =>
        tags.appendChild(el('span', 'jp-mltrack-tag', t))
      );
      facts.appendChild(tags);
    }
    const description = String(sys['sys/description'] ?? '');
    const children: HTMLElement[] = [title, facts];
    if (description) {
      children.push(el('p', 'jp-mltrack-run-description', description));
    }
    if (detail.checkpoint) {
      children.push(
        checkpointBlock(detail.checkpoint, this._options.checkpoint, trans)
      );
    }
    this._header.node.replaceChildren(...children);
  }

  private async _renderBody(detail: IRunDetail): Promise<void> {
    const trans = this._trans;
    const nodes: HTMLElement[] = [];
    const pending: Promise<unknown>[] = [];
    this._consoles = [];
    this._galleries = [];
    const strings = detail.fields.filter(f => f.type === 'string_series');
    if (strings.length) {
      const box = section(trans.__('Console'), 'jp-mltrack-run-console');
      for (const field of strings) {
        const block = new ConsoleBlock(
          this.runId,
          field.path,
          this._options.getSeries
        );
        this._consoles.push(block);
        box.appendChild(block.node);
        pending.push(block.update().catch(() => null));
      }
      nodes.push(box);
    }
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
          this._options.getSeries
        );
        this._galleries.push(block);
        box.appendChild(block.node);
        pending.push(block.update().catch(() => null));
      }
      nodes.push(box);
    }
    const files = detail.fields.filter(
      f => f.type === 'file' || f.type === 'file_set'
    );
    if (files.length) {
      const box = section(trans.__('Files'), 'jp-mltrack-run-files');
      box.appendChild(filesList(this.runId, files));
      nodes.push(box);
    }
    const source = detail.fields.filter(
      f => f.path.startsWith('source_code/') && f.type !== 'file_set'
    );
    if (source.length) {
      const box = section(
        trans.__('Source, git and requirements'),
        'jp-mltrack-run-source'
      );
      for (const field of source) {
        const row = el('div', 'jp-mltrack-source-field');
        row.append(
          el(
            'span',
            'jp-mltrack-field-name',
            field.path.slice('source_code/'.length)
          ),
          el('pre', 'jp-mltrack-source-value', describeField(field, trans))
        );
        box.appendChild(row);
      }
      nodes.push(box);
    }
    if (detail.cells.length) {
      const box = section(trans.__('Cells'), 'jp-mltrack-run-cells');
      box.appendChild(cellsTable(detail.cells, trans));
      nodes.push(box);
    }
    const tree = section(trans.__('Fields'), 'jp-mltrack-run-fields');
    tree.appendChild(fieldTree(detail.fields, trans));
    nodes.push(tree);
    this._body.node.replaceChildren(...nodes);
    await Promise.all(pending);
  }

  /** Same fields, new values: rewrite only the value texts of the tree. */
  private _updateValues(fields: IRunField[]): void {
    for (const field of fields) {
      const row = this._body.node.querySelector(
        `.jp-mltrack-field[data-path="${CSS.escape(field.path)}"] .jp-mltrack-field-value`
      );
      const text = describeField(field, this._trans);
      if (row && row.textContent !== text) {
        row.textContent = text;
      }
    }
  }

  private _setLive(live: boolean): void {
    if (live && this._timer === 0) {
      const every = this._options.pollMs ?? 1000;
      let ticks = 0;
      this._timer = window.setInterval(() => {
        ticks++;
        void this._charts.poll();
        this._consoles.forEach(c => void c.update(true).catch(() => null));
        if (ticks % 3 === 0) {
          this._galleries.forEach(g => void g.update().catch(() => null));
          void this.refresh();
        }
      }, every);
    } else if (!live && this._timer !== 0) {
      window.clearInterval(this._timer);
      this._timer = 0;
      void this._charts.poll(); // the last points logged before the end
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
  private _charts: SeriesCharts;
  private _body: Widget;
  private _detail: IRunDetail | null = null;
  private _shape = '';
  private _consoles: ConsoleBlock[] = [];
  private _galleries: GalleryBlock[] = [];
  private _timer = 0;
}
