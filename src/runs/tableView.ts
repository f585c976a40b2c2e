/**
 * The runs table tab: the query box (with field-path completion), saved views, the column
 * picker, actions on the selection (open, compare) and the virtual grid.
 */
import { InputDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Panel, Widget } from '@lumino/widgets';

import { defaultTrans, pageLocale } from '../i18n';

import { IFieldPath } from './api';
import { RunsTableModel } from './model';
import { QueryBox } from './querybox';
import { RunsGrid } from './grid';
import { ViewsStore } from './savedViews';

export interface IRunsTableViewOptions {
  model: RunsTableModel;
  views: ViewsStore;
  paths: () => Promise<IFieldPath[]>;
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
      paths: options.paths,
      onSubmit: text => void model.setQuery(text)
    });
    const columnBox = new QueryBox({
      placeholder: trans.__('Add column: params/lr, max(val/acc)…'),
      className: 'jp-mltrack-add-column',
      paths: options.paths,
      onSubmit: text => void model.addColumn(text),
      clearOnSubmit: true
    });

    this._viewSelect = document.createElement('select');
    this._viewSelect.className = 'jp-mltrack-views';
    this._viewSelect.setAttribute('aria-label', trans.__('Saved views'));
    this._viewSelect.addEventListener('change', () => {
      const view = views.find(this._viewSelect.value);
      if (view) {
        this.queryBox.value = view.query;
        void model.applyView(view);
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
      columnBox.node,
      this._open,
      this._compare,
      refresh,
      this._status
    );
    bar.node.append(row1, row2);
    // The boxes are children of the bar for Lumino's attach/detach messages.
    this._boxes = [this.queryBox, columnBox];

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
    views.changed.connect(this._updateViews, this);
    this._updateViews();
    this._updateStatus();
    this._timer = window.setInterval(() => {
      if (this.isVisible && !model.loading) {
        void model.refresh(...this.grid.rendered);
      }
    }, REFRESH_MS);
  }

  readonly model: RunsTableModel;
  readonly queryBox: QueryBox;
  readonly grid: RunsGrid;

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
    let text: string;
    if (model.error) {
      text = model.error;
    } else if (model.total === null) {
      text = trans.__('Loading…');
    } else {
      const total = model.total.toLocaleString(pageLocale());
      text = selected
        ? trans.__('%1 runs, %2 selected', total, selected)
        : trans.__('%1 runs', total);
    }
    this._status.textContent = text;
    this._status.classList.toggle('jp-mod-error', !!model.error);
  }

  dispose(): void {
    window.clearInterval(this._timer);
    this._boxes.forEach(b => b.dispose());
    super.dispose();
  }

  private _options: IRunsTableViewOptions;
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
