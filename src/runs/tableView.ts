/**
 * The runs table tab: the query box (with field-path completion), saved views and their
 * links, the column picker, actions on the selection (open, compare), the virtual grid, and
 * what to do when nothing matches.
 */
import {
  Clipboard,
  Dialog,
  InputDialog,
  showDialog
} from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Panel, Widget } from '@lumino/widgets';

import { defaultTrans, pageLocale } from '../i18n';

import { IFieldPath } from './api';
import { exampleColumns } from './columns';
import { emptyState } from './empty';
import { ISavedView, RunsTableModel } from './model';
import { QueryBox } from './querybox';
import { RunsGrid } from './grid';
import { ViewsStore } from './savedViews';
import { decodeView, viewUrl } from './viewLink';

export interface IRunsTableViewOptions {
  model: RunsTableModel;
  views: ViewsStore;
  /** Field paths to complete: the table's project's (null: every project's). */
  paths: (project?: string | null) => Promise<IFieldPath[]>;
  openRun: (id: string) => void;
  openCheckpoint: (id: string) => void;
  compare: (ids: string[]) => void;
  trans?: TranslationBundle;
}

/** Milliseconds between refreshes of the loaded pages (live states, new runs). */
const REFRESH_MS = 5000;

export class RunsTableView extends Panel {
  constructor(options: IRunsTableViewOptions) {
    super();
    const { model, views } = options;
    const trans = (this._trans = options.trans ?? defaultTrans());
    this.model = model;
    this._options = options;
    this.addClass('jp-mltrack-runs');
    this.id = 'mltrack-runs-table';

    const bar = new Widget();
    bar.addClass('jp-mltrack-runs-bar');
    this.queryBox = new QueryBox({
      placeholder: trans.__(
        'Query, e.g. metrics/acc > 0.9 AND sys/tags CONTAINS "best"'
      ),
      className: 'jp-mltrack-query',
      paths: () => this._paths(),
      onSubmit: text => void model.setQuery(text)
    });
    this._columnBox = new QueryBox({
      placeholder: trans.__('Add column: a field path or max(series)…'),
      className: 'jp-mltrack-add-column',
      paths: () => this._paths(),
      onSubmit: text => void model.addColumn(text),
      clearOnSubmit: true
    });

    this._viewSelect = document.createElement('select');
    this._viewSelect.className = 'jp-mltrack-views';
    this._viewSelect.setAttribute('aria-label', trans.__('Saved views'));
    this._viewSelect.addEventListener('change', () => {
      const view = views.find(this._viewSelect.value);
      if (view) {
        void this.showView(view);
      }
    });
    const save = button(
      trans.__('Save view'),
      'jp-mltrack-save-view',
      () => void this._saveView()
    );
    const remove = button(
      trans.__('Delete view'),
      'jp-mltrack-delete-view',
      () => {
        if (this._viewSelect.value) {
          void views.remove(this._viewSelect.value);
        }
      }
    );
    const share = button(
      trans.__('Share view'),
      'jp-mltrack-share-view',
      () => void this._shareView()
    );
    share.title = trans.__('Copy a link that opens this view');
    const reset = button(
      trans.__('Reset columns'),
      'jp-mltrack-reset-columns',
      () => void model.resetColumns()
    );
    reset.title = trans.__(
      'Back to the parameters and metrics the runs share, at default widths'
    );
    this._open = button(trans.__('Open'), 'jp-mltrack-open-runs', () =>
      model.selected.forEach(id => options.openRun(id))
    );
    this._compare = button(trans.__('Compare'), 'jp-mltrack-compare-runs', () =>
      options.compare(model.selected)
    );
    const refresh = button(
      trans.__('Refresh'),
      'jp-mltrack-refresh-runs',
      () => void model.refresh()
    );
    this._status = document.createElement('span');
    this._status.className = 'jp-mltrack-runs-status';
    this._status.setAttribute('aria-live', 'polite');

    const row1 = div('jp-mltrack-runs-row');
    row1.append(this.queryBox.node);
    const row2 = div('jp-mltrack-runs-row');
    row2.append(
      this._viewSelect,
      save,
      remove,
      share,
      this._columnBox.node,
      reset,
      this._open,
      this._compare,
      refresh,
      this._status
    );
    bar.node.append(row1, row2);
    // The boxes are children of the bar for Lumino's attach/detach messages.
    this._boxes = [this.queryBox, this._columnBox];

    this.grid = new RunsGrid({
      model,
      openRun: options.openRun,
      openCheckpoint: options.openCheckpoint,
      removeColumn: column => void model.removeColumn(column),
      trans
    });
    this.addWidget(bar);
    this.addWidget(this.grid);

    model.changed.connect(this._updateStatus, this);
    model.viewChanged.connect(this._updateStatus, this);
    model.viewChanged.connect(this._updateHints, this);
    views.changed.connect(this._updateViews, this);
    // The settings load after the table may have opened (a restored tab).
    views.changed.connect(() => model.syncLayout(), this);
    this._updateViews();
    this._updateStatus();
    void this._updateHints();
    this._timer = window.setInterval(() => {
      if (this.isVisible && !model.loading) {
        void model.refresh(...this.grid.rendered);
      }
    }, REFRESH_MS);
  }

  readonly model: RunsTableModel;
  readonly queryBox: QueryBox;
  readonly grid: RunsGrid;

  /** Show a saved or shared view: its query, sort, columns and widths. */
  showView(view: Partial<ISavedView>): Promise<void> {
    this.queryBox.value = view.query ?? '';
    return this.model.applyView(view);
  }

  /**
   * Show the view of a link's `mltrack-view` value (viewLink.ts); false when the value is
   * not a view. What the URL handling calls (through the open-runs-table command's `view`).
   */
  async showLink(value: string): Promise<boolean> {
    const view = decodeView(value);
    if (!view) {
      return false;
    }
    await this.showView(view);
    return true;
  }

  /** Field paths of the project the table shows (all projects when it spans several). */
  private _paths(): Promise<IFieldPath[]> {
    const key = this.model.layoutKey;
    return this._options.paths(key === '*' ? null : key);
  }

  /** Column picker and query hints from paths that exist (not a made-up `params/lr`). */
  private async _updateHints(): Promise<void> {
    const paths = await this._paths().catch(() => [] as IFieldPath[]);
    const examples = exampleColumns(paths);
    const trans = this._trans;
    this._columnBox.input.placeholder = examples.length
      ? trans.__('Add column: %1…', examples.join(', '))
      : trans.__('Add column: a field path or max(series)…');
    const param = examples.find(e => !e.includes('('));
    if (param && !this.queryBox.value) {
      this.queryBox.input.placeholder = trans.__(
        'Query, e.g. %1 EXISTS AND sys/tags CONTAINS "best"',
        param
      );
    }
  }

  private async _shareView(): Promise<void> {
    const trans = this._trans;
    const name = this._viewSelect.value;
    const url = viewUrl(this.model.view(name));
    Clipboard.copyToSystem(url);
    const body = document.createElement('div');
    body.className = 'jp-mltrack-share';
    const label = document.createElement('p');
    label.textContent = trans.__(
      'Copied. This link opens the runs table with this query, sort and columns:'
    );
    const input = document.createElement('input');
    input.className = 'jp-mltrack-share-link';
    input.readOnly = true;
    input.value = url;
    input.setAttribute('aria-label', trans.__('Link to the view'));
    body.append(label, input);
    await showDialog({
      title: trans.__('Share view'),
      body: new Widget({ node: body }),
      buttons: [Dialog.okButton({ label: trans.__('Close') })]
    });
  }

  private async _saveView(): Promise<void> {
    const trans = this._trans;
    const result = await InputDialog.getText({
      title: trans.__('Save view'),
      label: trans.__('Name of the view (query, sort and columns)'),
      text: this._viewSelect.value || '',
      okLabel: trans.__('OK'),
      cancelLabel: trans.__('Cancel')
    });
    const name = result.value?.trim();
    if (result.button.accept && name) {
      await this._options.views.save(this.model.view(name));
      this._viewSelect.value = name;
    }
  }

  private _updateViews(): void {
    const current = this._viewSelect.value;
    const none = document.createElement('option');
    none.value = '';
    none.textContent = this._trans.__('Views…');
    const options = this._options.views.views.map(v => {
      const option = document.createElement('option');
      option.value = v.name;
      option.textContent = v.name;
      return option;
    });
    this._viewSelect.replaceChildren(none, ...options);
    this._viewSelect.value = options.some(o => o.value === current)
      ? current
      : '';
  }

  private _updateStatus(): void {
    const { model } = this;
    const selected = model.selected.length;
    this._open.disabled = selected === 0;
    this._compare.disabled = selected < 2;
    this.queryBox.setError(model.error);
    if (
      this.queryBox.value !== model.query &&
      !this.queryBox.input.matches(':focus')
    ) {
      this.queryBox.value = model.query;
    }
    const trans = this._trans;
    this._updateEmpty();
    let text: string;
    if (model.error) {
      text = model.error;
    } else if (model.total === null) {
      text = trans.__('Loading…');
    } else if (model.total === 0) {
      text = model.query ? trans.__('No match') : trans.__('No runs');
    } else {
      const total = model.total.toLocaleString(pageLocale());
      if (model.totalEstimated) {
        text = selected
          ? trans.__('about %1 runs, %2 selected', total, selected)
          : trans.__('about %1 runs', total);
      } else {
        text = selected
          ? trans.__('%1 runs, %2 selected', total, selected)
          : trans.__('%1 runs', total);
      }
    }
    this._status.textContent = text;
    this._status.classList.toggle('jp-mod-error', !!model.error);
  }

  /** Over an empty grid: that nothing matches, and how to widen the query. */
  private _updateEmpty(): void {
    const { model } = this;
    const overlay = this.grid.overlay;
    const empty = model.total === 0 && !model.error && !model.loading;
    overlay.hidden = !empty;
    if (!empty) {
      this._emptyFor = null;
      return;
    }
    const key = JSON.stringify([model.query, model.project]);
    if (this._emptyFor === key) {
      return;
    }
    this._emptyFor = key;
    this._renderEmpty(null);
    if (model.query) {
      void model.countAll().then(
        n => this._emptyFor === key && this._renderEmpty(n),
        () => undefined
      );
    }
  }

  private _renderEmpty(everything: number | null): void {
    const state = emptyState(this.model.query, everything, this._trans);
    const title = div('jp-mltrack-empty-title', state.title);
    const hints = document.createElement('ul');
    hints.className = 'jp-mltrack-empty-hints';
    hints.append(
      ...state.hints.map(h => {
        const li = document.createElement('li');
        li.textContent = h;
        return li;
      })
    );
    const children: HTMLElement[] = [title, hints];
    if (state.canClear) {
      children.push(
        button(
          this._trans.__('Clear the query'),
          'jp-mltrack-clear-query',
          () => {
            this.queryBox.value = '';
            void this.model.setQuery('');
          }
        )
      );
    }
    this.grid.overlay.replaceChildren(...children);
  }

  dispose(): void {
    window.clearInterval(this._timer);
    this._boxes.forEach(b => b.dispose());
    super.dispose();
  }

  private _options: IRunsTableViewOptions;
  private _columnBox: QueryBox;
  private _emptyFor: string | null = null;
  private _trans: TranslationBundle;
  private _viewSelect: HTMLSelectElement;
  private _status: HTMLElement;
  private _open: HTMLButtonElement;
  private _compare: HTMLButtonElement;
  private _boxes: Widget[];
  private _timer: number;
}

export function button(
  label: string,
  className: string,
  onClick: () => void
): HTMLButtonElement {
  const node = document.createElement('button');
  node.type = 'button';
  node.className = `jp-mltrack-button ${className}`;
  node.textContent = label;
  node.addEventListener('click', onClick);
  return node;
}

export function div(className: string, text?: string): HTMLDivElement {
  const node = document.createElement('div');
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}
