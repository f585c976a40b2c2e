/**
 * The runs grid with virtual scrolling: a spacer as tall as all matching runs, and only the
 * rows in view (plus a few) as DOM nodes, reused as the user scrolls. Missing pages are
 * fetched when they come near the viewport. Every value goes in through `textContent`.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { defaultTrans } from '../i18n';
import { NOTEBOOK_COLUMN, sysField } from '../sysfields';
import { RunRow } from './api';
import { columnLabel, formatCell } from './format';
import { NOTEBOOK_PATH, RunsTableModel } from './model';

export const ROW_HEIGHT = 26;
const OVERSCAN = 10;
const NOTEBOOK_WIDTH = 140;
const DEFAULT_WIDTH = 130;

/** Drag type of a column header being moved. */
const DRAG_TYPE = 'application/x-mltrack-column';

/** Widest a column gets by default to show its whole path in the header. */
const MAX_DEFAULT_WIDTH = 240;

/**
 * A column's default width: the registry's for a sys field; a field's fits its path
 * (`metrics/test_accuracy`) up to MAX_DEFAULT_WIDTH.
 */
export function columnWidth(column: string): number {
  if (column === NOTEBOOK_COLUMN) {
    return NOTEBOOK_WIDTH;
  }
  const sys = sysField(column);
  if (sys) {
    return sys.width ?? DEFAULT_WIDTH;
  }
  // About 7.5 px a character of the header's font, plus padding and the sort arrow.
  const fit = Math.ceil(column.length * 7.5) + 36;
  return Math.min(MAX_DEFAULT_WIDTH, Math.max(DEFAULT_WIDTH, fit));
}

/** The name of a notebook path (`work/demo.ipynb` → `demo.ipynb`). */
export function notebookName(path: string): string {
  return path.split('/').filter(Boolean).pop() ?? path;
}

/**
 * Text and tooltip of the notebook cell: the notebook's name (the run's `sys/notebook_path`),
 * the checkpoint id only when the path is unknown.
 */
export function notebookCell(row: RunRow): { text: string; title: string } {
  const checkpoint = row[NOTEBOOK_COLUMN];
  const path = row[NOTEBOOK_PATH];
  if (typeof checkpoint !== 'string' || !checkpoint) {
    return { text: '', title: '' };
  }
  if (typeof path !== 'string' || !path) {
    return { text: checkpoint, title: checkpoint };
  }
  return { text: notebookName(path), title: `${path} @ ${checkpoint}` };
}

export interface IRunsGridOptions {
  model: RunsTableModel;
  /** Open one run (double click, Enter, the id link). */
  openRun: (id: string) => void;
  /** Open a checkpoint (the notebook column's link). */
  openCheckpoint: (id: string) => void;
  /** Remove an added column (the × of its header). */
  removeColumn: (column: string) => void;
  trans?: TranslationBundle;
}

export class RunsGrid extends Widget {
  constructor(options: IRunsGridOptions) {
    super();
    this._options = options;
    this._trans = options.trans ?? defaultTrans();
    this.model = options.model;
    this.addClass('jp-mltrack-grid');
    this.node.tabIndex = 0;
    this.node.setAttribute('role', 'grid');
    this._header = document.createElement('div');
    this._header.className = 'jp-mltrack-grid-header';
    this._header.setAttribute('role', 'row');
    this._spacer = document.createElement('div');
    this._spacer.className = 'jp-mltrack-grid-spacer';
    this._rows = document.createElement('div');
    this._rows.className = 'jp-mltrack-grid-rows';
    this._spacer.appendChild(this._rows);
    this.node.append(this._header, this._spacer);
    this.node.addEventListener('scroll', () => this._scheduleRender());
    this._rows.addEventListener('click', e => this._onClick(e));
    this._rows.addEventListener('dblclick', e => {
      const index = this._indexOf(e.target as HTMLElement);
      const id = index === null ? null : this.model.idAt(index);
      if (id) {
        this._options.openRun(id);
      }
    });
    this._header.addEventListener('click', e => this._onHeaderClick(e));
    this._header.addEventListener('pointerdown', e => this._onResizeStart(e));
    this._header.addEventListener('keydown', e => this._onHeaderKey(e));
    this._header.addEventListener('dragstart', e => this._onDragStart(e));
    this._header.addEventListener('dragover', e => this._onDragOver(e));
    this._header.addEventListener('dragleave', () => this._markDrop(null));
    this._header.addEventListener('drop', e => this._onDrop(e));
    this._header.addEventListener('dragend', () => this._markDrop(null));
    this.overlay = document.createElement('div');
    this.overlay.className = 'jp-mltrack-grid-overlay';
    this.overlay.hidden = true;
    this.node.appendChild(this.overlay);
    this.node.addEventListener('keydown', e => this._onKey(e));
    this.model.changed.connect(this._scheduleRender, this);
    this.model.viewChanged.connect(() => {
      this.node.scrollTop = 0;
      this._scheduleRender();
    }, this);
  }

  readonly model: RunsTableModel;
  /** Shown over the rows when there are none (the view fills it: empty.ts). */
  readonly overlay: HTMLElement;

  /** Index of the first and last rows drawn (for tests and paging). */
  get rendered(): [number, number] {
    return [this._first, this._last];
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._scheduleRender();
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    this._scheduleRender();
  }

  private _scheduleRender(): void {
    if (this._frame === 0) {
      this._frame = requestAnimationFrame(() => {
        this._frame = 0;
        this.render();
      });
    }
  }

  /** Draw the header and the rows in view now. */
  render(): void {
    const columns = this.model.columns;
    const widths = columns.map(c => this.model.widthOf(c) ?? columnWidth(c));
    const template = widths.map(w => `${w}px`).join(' ');
    const totalWidth = widths.reduce((a, b) => a + b, 0);
    this._renderHeader(columns, template);
    const total = this.model.total ?? 0;
    this._spacer.style.height = `${total * ROW_HEIGHT}px`;
    this._spacer.style.width = `${totalWidth}px`;
    const viewport = this.node.clientHeight || 600;
    const top = Math.max(0, this.node.scrollTop - this._header.offsetHeight);
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(
      total - 1,
      Math.ceil((top + viewport) / ROW_HEIGHT) + OVERSCAN
    );
    this._first = first;
    this._last = last;
    if (total > 0) {
      void this.model.ensure(first, last);
    }
    const count = Math.max(0, last - first + 1);
    while (this._rows.children.length < count) {
      this._rows.appendChild(this._makeRow());
    }
    while (this._rows.children.length > count) {
      this._rows.lastElementChild!.remove();
    }
    this._rows.style.transform = `translateY(${first * ROW_HEIGHT}px)`;
    for (let i = 0; i < count; i++) {
      this._fillRow(
        this._rows.children[i] as HTMLElement,
        first + i,
        columns,
        template
      );
    }
  }

  private _renderHeader(columns: string[], template: string): void {
    const trans = this._trans;
    const sort = this.model.sortKeys;
    const key = columns.join('\u0000') + '|' + this.model.sort;
    this._header.style.gridTemplateColumns = template;
    if (key === this._headerKey) {
      return;
    }
    this._headerKey = key;
    this._header.replaceChildren(
      ...columns.map(column => {
        const cell = document.createElement('div');
        cell.className = 'jp-mltrack-grid-hcell';
        cell.dataset.column = column;
        cell.setAttribute('role', 'columnheader');
        cell.title = trans.__(
          '%1: click or Enter to sort, Shift to add a sort key; drag or Alt+←/→ to move, Alt+Shift+←/→ to resize, Delete to remove',
          column
        );
        const label = document.createElement('span');
        label.textContent = columnLabel(column, trans);
        cell.appendChild(label);
        const at = sort.findIndex(k => k.column === column);
        if (at >= 0) {
          const arrow = document.createElement('span');
          arrow.className = 'jp-mltrack-sort';
          arrow.textContent =
            (sort[at].descending ? '▼' : '▲') + (sort.length > 1 ? at + 1 : '');
          cell.appendChild(arrow);
          cell.setAttribute(
            'aria-sort',
            sort[at].descending ? 'descending' : 'ascending'
          );
        }
        if (column !== 'sys/id') {
          const remove = document.createElement('button');
          remove.className = 'jp-mltrack-remove-column';
          remove.textContent = '×';
          remove.title = trans.__('Remove the column %1', column);
          cell.appendChild(remove);
        }
        cell.draggable = true;
        cell.tabIndex = 0;
        const grip = document.createElement('span');
        grip.className = 'jp-mltrack-col-resize';
        grip.title = trans.__('Drag to resize %1', column);
        cell.appendChild(grip);
        return cell;
      })
    );
  }

  private _makeRow(): HTMLElement {
    const row = document.createElement('div');
    row.className = 'jp-mltrack-grid-row';
    row.setAttribute('role', 'row');
    return row;
  }

  private _fillRow(
    row: HTMLElement,
    index: number,
    columns: string[],
    template: string
  ): void {
    const data = this.model.rowAt(index);
    row.dataset.index = String(index);
    row.style.gridTemplateColumns = template;
    const id = typeof data?.['sys/id'] === 'string' ? data['sys/id'] : '';
    row.classList.toggle('jp-mod-selected', !!id && this.model.isSelected(id));
    row.classList.toggle('jp-mltrack-placeholder', !data);
    row.setAttribute(
      'aria-selected',
      String(!!id && this.model.isSelected(id))
    );
    while (row.children.length < columns.length) {
      const cell = document.createElement('div');
      cell.className = 'jp-mltrack-grid-cell';
      cell.setAttribute('role', 'gridcell');
      row.appendChild(cell);
    }
    while (row.children.length > columns.length) {
      row.lastElementChild!.remove();
    }
    columns.forEach((column, c) => {
      const cell = row.children[c] as HTMLElement;
      const value = data?.[column];
      let text = data ? formatCell(column, value) : c === 0 ? '…' : '';
      let title = text;
      if (column === NOTEBOOK_COLUMN && data) {
        ({ text, title } = notebookCell(data));
      }
      if (cell.dataset.column !== column) {
        cell.dataset.column = column;
        cell.classList.remove('jp-mltrack-link');
        delete cell.dataset.state;
      }
      if (column === 'sys/id' || column === NOTEBOOK_COLUMN) {
        cell.classList.toggle('jp-mltrack-link', !!text);
      }
      if (column === 'sys/state') {
        cell.dataset.state = text;
      }
      if (cell.textContent !== text || cell.title !== title) {
        cell.textContent = text;
        cell.title = title;
      }
    });
  }

  private _indexOf(target: HTMLElement): number | null {
    const row = target.closest('.jp-mltrack-grid-row') as HTMLElement | null;
    return row ? Number(row.dataset.index) : null;
  }

  private _onClick(event: MouseEvent): void {
    const target = event.target as HTMLElement;
    const index = this._indexOf(target);
    if (index === null) {
      return;
    }
    const cell = target.closest('.jp-mltrack-grid-cell') as HTMLElement | null;
    if (cell?.classList.contains('jp-mltrack-link')) {
      const value = this.model.rowAt(index)?.[cell.dataset.column ?? ''];
      if (typeof value === 'string' && value) {
        if (cell.dataset.column === 'sys/id') {
          this._options.openRun(value);
        } else {
          this._options.openCheckpoint(value);
        }
        return;
      }
    }
    this.model.select(
      index,
      event.shiftKey
        ? 'range'
        : event.ctrlKey || event.metaKey
          ? 'toggle'
          : 'only'
    );
  }

  /** Arrow keys move the selection (Shift extends it), Enter opens the selected runs. */
  private _onKey(event: KeyboardEvent): void {
    const total = this.model.total ?? 0;
    if (event.key === 'Enter') {
      this.model.selected.forEach(id => this._options.openRun(id));
      event.preventDefault();
      return;
    }
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') {
      return;
    }
    event.preventDefault();
    const current = this.model.cursor ?? -1;
    const next = Math.max(
      0,
      Math.min(total - 1, current + (event.key === 'ArrowDown' ? 1 : -1))
    );
    this.model.select(next, event.shiftKey ? 'range' : 'only');
    const top = next * ROW_HEIGHT;
    const visible = this.node.clientHeight - this._header.offsetHeight;
    if (top < this.node.scrollTop) {
      this.node.scrollTop = top;
    } else if (top + ROW_HEIGHT > this.node.scrollTop + visible) {
      this.node.scrollTop = top + ROW_HEIGHT - visible;
    }
  }

  private _onHeaderClick(event: MouseEvent): void {
    const target = event.target as HTMLElement;
    const cell = target.closest('.jp-mltrack-grid-hcell') as HTMLElement | null;
    const column = cell?.dataset.column;
    if (!column) {
      return;
    }
    if (target.classList.contains('jp-mltrack-remove-column')) {
      this._options.removeColumn(column);
      return;
    }
    if (this._resizing || target.classList.contains('jp-mltrack-col-resize')) {
      this._resizing = false; // the click that ends a drag of the edge
      return;
    }
    void this.model.sortBy(column, event.shiftKey);
  }

  /**
   * The header from the keyboard: Enter or Space sorts (Shift adds a key), Alt+←/→ moves the
   * column, Alt+Shift+←/→ narrows or widens it by 20 px, Delete removes it.
   */
  private _onHeaderKey(event: KeyboardEvent): void {
    const column = this._headerCell(event)?.dataset.column;
    if (!column) {
      return;
    }
    const columns = this.model.columns;
    const at = columns.indexOf(column);
    const step =
      event.key === 'ArrowLeft' ? -1 : event.key === 'ArrowRight' ? 1 : 0;
    if (event.key === 'Enter' || event.key === ' ') {
      void this.model.sortBy(column, event.shiftKey);
    } else if (step && event.altKey && event.shiftKey) {
      const width = this.model.widthOf(column) ?? columnWidth(column);
      this.model.setWidth(column, width + 20 * step);
    } else if (step && event.altKey) {
      const before = step < 0 ? columns[at - 1] : (columns[at + 2] ?? null);
      if (before === undefined) {
        return; // first column already
      }
      this.model.moveColumn(column, before);
      this.render();
      this._focusHeader(column);
    } else if (event.key === 'Delete' && column !== 'sys/id') {
      this._options.removeColumn(column);
      this.render();
      this._focusHeader(columns[at + 1] ?? columns[at - 1]);
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation(); // not the rows' keys (Enter opens the selected runs)
  }

  private _focusHeader(column: string | undefined): void {
    const cells = this._header.querySelectorAll<HTMLElement>(
      '.jp-mltrack-grid-hcell'
    );
    Array.from(cells)
      .find(c => c.dataset.column === column)
      ?.focus();
  }

  /** Drag a header's right edge: the width follows, the settings get where it ends. */
  private _onResizeStart(event: PointerEvent): void {
    const grip = event.target as HTMLElement;
    if (!grip.classList.contains('jp-mltrack-col-resize')) {
      return;
    }
    const cell = grip.closest('.jp-mltrack-grid-hcell') as HTMLElement | null;
    const column = cell?.dataset.column;
    if (!cell || !column) {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    const startX = event.clientX;
    const startWidth = cell.getBoundingClientRect().width;
    this._resizing = true;
    grip.setPointerCapture?.(event.pointerId);
    const move = (e: PointerEvent): void =>
      this.model.setWidth(column, startWidth + e.clientX - startX, false);
    const up = (e: PointerEvent): void => {
      grip.removeEventListener('pointermove', move);
      grip.removeEventListener('pointerup', up);
      grip.removeEventListener('pointercancel', up);
      this.model.setWidth(column, startWidth + e.clientX - startX, true);
      // A click follows only when the pointer ends on the header: clear the guard soon.
      setTimeout(() => (this._resizing = false), 0);
    };
    grip.addEventListener('pointermove', move);
    grip.addEventListener('pointerup', up);
    grip.addEventListener('pointercancel', up);
  }

  private _headerCell(event: Event): HTMLElement | null {
    return (event.target as HTMLElement).closest(
      '.jp-mltrack-grid-hcell'
    ) as HTMLElement | null;
  }

  private _onDragStart(event: DragEvent): void {
    const column = this._headerCell(event)?.dataset.column;
    if (!column || this._resizing || !event.dataTransfer) {
      event.preventDefault();
      return;
    }
    this._dragged = column;
    event.dataTransfer.effectAllowed = 'move';
    event.dataTransfer.setData(DRAG_TYPE, column);
    event.dataTransfer.setData('text/plain', column);
  }

  /** Where a dragged header would land: before this cell, or after it (right half). */
  private _dropPlace(
    event: DragEvent
  ): { cell: HTMLElement; before: string | null } | null {
    const cell = this._headerCell(event);
    const column = cell?.dataset.column;
    if (!cell || !column || !this._dragged) {
      return null;
    }
    const box = cell.getBoundingClientRect();
    if (event.clientX < box.left + box.width / 2) {
      return { cell, before: column };
    }
    const columns = this.model.columns;
    return { cell, before: columns[columns.indexOf(column) + 1] ?? null };
  }

  private _onDragOver(event: DragEvent): void {
    const place = this._dropPlace(event);
    if (!place) {
      return;
    }
    event.preventDefault();
    if (event.dataTransfer) {
      event.dataTransfer.dropEffect = 'move';
    }
    this._markDrop(place.cell);
  }

  private _onDrop(event: DragEvent): void {
    const place = this._dropPlace(event);
    this._markDrop(null);
    if (place && this._dragged) {
      event.preventDefault();
      this.model.moveColumn(this._dragged, place.before);
    }
    this._dragged = null;
  }

  private _markDrop(cell: HTMLElement | null): void {
    this._header
      .querySelectorAll('.jp-mod-drop-target')
      .forEach(n => n.classList.remove('jp-mod-drop-target'));
    cell?.classList.add('jp-mod-drop-target');
  }

  dispose(): void {
    if (this._frame) {
      cancelAnimationFrame(this._frame);
    }
    super.dispose();
  }

  private _options: IRunsGridOptions;
  private _trans: TranslationBundle;
  private _header: HTMLElement;
  private _spacer: HTMLElement;
  private _rows: HTMLElement;
  private _headerKey = '';
  private _resizing = false;
  private _dragged: string | null = null;
  private _frame = 0;
  private _first = 0;
  private _last = -1;
}
