/**
 * State of the runs table: the query, sort and columns of the view, the rows loaded so far
 * and the selection. Rows come from the server in pages (500 by default) fetched only when
 * the table scrolls near them, so 10,000 runs cost one small request to paint.
 *
 * A page whose page before is loaded (or on its way) is asked for with that page's
 * `next_cursor`: the server seeks to it in index order, at the same cost at any depth. Only a
 * jump (the scrollbar dragged far) asks by offset, which costs the rows it skips
 * (docs/query.md). An exact total (the last page's) holds over later estimates.
 *
 * Columns are automatic until the user touches them: the `sys/` ones, then the parameters
 * and metrics the matching runs share (`suggest`, see columns.ts). Adding, removing or
 * moving a column makes the list the user's; it and the widths are kept per project
 * (`layouts`, the settings registry in the lab: savedViews.ts).
 */
import { ISignal, Signal } from '@lumino/signaling';

import { DEFAULT_COLUMNS, DEFAULT_SORT, NOTEBOOK_COLUMN } from '../sysfields';
import { IRunsPage, IRunsQuery, RunRow } from './api';
import { quotePath } from './complete';

export { DEFAULT_COLUMNS, DEFAULT_SORT };

/** Fetched beside the notebook column: its name (the checkpoint id is the link). */
export const NOTEBOOK_PATH = 'sys/notebook_path';

/** Narrowest and widest a column may be dragged to, in pixels. */
export const MIN_WIDTH = 40;
export const MAX_WIDTH = 1200;

/** A named view of the table, kept in the settings registry or shared as a link. */
export interface ISavedView {
  name: string;
  query: string;
  /** Comma-separated keys, `-` for descending. */
  sort: string;
  /**
   * Columns shown, in order; empty: automatic. A list holding none of the default columns
   * is an older view's "columns added to the defaults" and reads so.
   */
  columns: string[];
  /** Widths in pixels the user dragged columns to. */
  widths?: Record<string, number>;
}

/** The columns the user chose (null: automatic) and their widths. */
export interface IColumnLayout {
  columns: string[] | null;
  widths: Record<string, number>;
}

/** Where column layouts are kept, per project ('*' when the table spans projects). */
export interface ILayoutStore {
  layout(project: string): IColumnLayout | null;
  saveLayout(project: string, layout: IColumnLayout): void;
}

export interface IRunsTableModelOptions {
  fetch: (query: IRunsQuery) => Promise<IRunsPage>;
  /** Automatic columns (besides the `sys/` ones) for the runs a query matches. */
  suggest?: (query: {
    query: string;
    project: string | null;
  }) => Promise<string[]>;
  layouts?: ILayoutStore | null;
  pageSize?: number;
  project?: string | null;
  /** The query of the first load. */
  query?: string;
  /** The sort of the first load (a restored tab's); default: newest first. */
  sort?: string;
}

/** The project a query names (`sys/project = "x"`), or null. */
export function projectOfQuery(query: string): string | null {
  const match = /sys\/project\s*==?\s*(["'])((?:\\.|(?!\1).)*)\1/.exec(query);
  return match ? match[2].replace(/\\(.)/g, '$1') : null;
}

/** A column as the server names it: `max( `a b` )` → `max(a b)`. */
export function canonicalColumn(text: string): string {
  const trimmed = text.trim();
  const agg = /^(last|min|max|count)\s*\(\s*(.*?)\s*\)$/i.exec(trimmed);
  const unquote = (path: string): string =>
    /^`.*`$/.test(path) ? path.slice(1, -1) : path;
  return agg ? `${agg[1].toLowerCase()}(${unquote(agg[2])})` : unquote(trimmed);
}

/** A canonical column as the query language reads it (backticks where needed). */
export function columnText(column: string): string {
  const agg = /^(last|min|max|count)\((.*)\)$/.exec(column);
  return agg ? `${agg[1]}(${quotePath(agg[2])})` : quotePath(column);
}

/** The columns of a saved view as shown (legacy lists of added columns get the defaults). */
export function viewColumns(view: Partial<ISavedView>): string[] | null {
  const columns = (view.columns ?? []).map(canonicalColumn).filter(Boolean);
  if (columns.length === 0) {
    return null;
  }
  if (!columns.some(c => DEFAULT_COLUMNS.includes(c))) {
    return [...new Set([...DEFAULT_COLUMNS, ...columns])];
  }
  return [...new Set(columns)];
}

/** One sort key: a column and its direction. */
export interface ISortKey {
  column: string;
  descending: boolean;
}

/** `-a, b` → keys; backticked paths keep their commas. */
export function parseSort(sort: string): ISortKey[] {
  const keys: ISortKey[] = [];
  for (const raw of splitList(sort)) {
    const descending = raw.startsWith('-');
    const column = (descending ? raw.slice(1) : raw).trim();
    if (column) {
      keys.push({ column, descending });
    }
  }
  return keys;
}

export function formatSort(keys: ISortKey[]): string {
  return keys.map(k => (k.descending ? '-' : '') + k.column).join(', ');
}

/** Split a comma-separated list, leaving commas between backticks alone. */
export function splitList(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === '`') {
      quoted = !quoted;
    }
    if (ch === ',' && !quoted) {
      parts.push(current.trim());
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current.trim());
  return parts.filter(p => p.length > 0);
}

export class RunsTableModel {
  constructor(options: IRunsTableModelOptions) {
    this._fetch = options.fetch;
    this._suggest = options.suggest ?? null;
    this._layouts = options.layouts ?? null;
    this.pageSize = options.pageSize ?? 500;
    this._project = options.project ?? null;
    this._query = (options.query ?? '').trim();
    this._sort = options.sort?.trim() || DEFAULT_SORT;
    this._loadLayout();
  }

  readonly pageSize: number;

  /** Data arrived (a page, the total) or the selection changed: repaint. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Query, sort or columns changed (the view bar follows). */
  get viewChanged(): ISignal<this, void> {
    return this._viewChanged;
  }

  get query(): string {
    return this._query;
  }
  get sort(): string {
    return this._sort;
  }
  get sortKeys(): ISortKey[] {
    return parseSort(this._sort);
  }
  /** Columns shown besides the default ones. */
  get extraColumns(): string[] {
    return this.columns.filter(c => !DEFAULT_COLUMNS.includes(c));
  }
  get project(): string | null {
    return this._project;
  }
  /** Where the column layout is kept: the project filtered on, '*' for all. */
  get layoutKey(): string {
    return this._project ?? projectOfQuery(this._query) ?? '*';
  }
  /** Columns shown, in order: the user's, else the defaults and the suggested ones. */
  get columns(): string[] {
    return this._chosen
      ? [...this._chosen]
      : [
          ...DEFAULT_COLUMNS,
          ...this._auto.filter(c => !DEFAULT_COLUMNS.includes(c))
        ];
  }
  /** Whether the user chose the columns (else they follow the query). */
  get columnsChosen(): boolean {
    return this._chosen !== null;
  }
  /** Width the user dragged `column` to, or undefined. */
  widthOf(column: string): number | undefined {
    return this._widths[column];
  }
  /** Runs matching the query; null before the first answer. */
  get total(): number | null {
    return this._total;
  }
  /** Whether `total` is the server's estimate (large projects: docs/query.md). */
  get totalEstimated(): boolean {
    return this._totalEstimated;
  }
  /** The last error (a bad query shows its caret message), or null. */
  get error(): string | null {
    return this._error;
  }
  get loading(): boolean {
    return this._inflight.size > 0;
  }

  /**
   * How page `page` is asked for: after the last row of the page before when that page is
   * loaded (a cursor), else by offset. Null: the page before was the last.
   */
  pageRequest(page: number): { cursor?: string; offset?: number } | null {
    if (page > 0 && this._cursors.has(page - 1)) {
      const cursor = this._cursors.get(page - 1);
      return cursor ? { cursor } : null;
    }
    return { offset: page * this.pageSize };
  }

  /** The view as saved in the settings or shared: the columns as shown. */
  view(name: string): ISavedView {
    const view: ISavedView = {
      name,
      query: this._query,
      sort: this._sort,
      columns: this.columns
    };
    if (Object.keys(this._widths).length) {
      view.widths = { ...this._widths };
    }
    return view;
  }

  /** Apply a saved view (one reload); its columns hold until the user changes them. */
  applyView(view: Partial<ISavedView>): Promise<void> {
    this._query = (view.query ?? '').trim();
    this._sort = view.sort || DEFAULT_SORT;
    this._chosen = viewColumns(view);
    this._widths = cleanWidths(view.widths);
    this._layoutFor = this.layoutKey;
    this._fromView = true; // until the user changes a column or the project
    return this.reload();
  }

  setQuery(query: string): Promise<void> {
    this._query = query.trim();
    this._loadLayout();
    return this.reload();
  }

  setProject(project: string | null): Promise<void> {
    this._project = project;
    this._loadLayout();
    return this.reload();
  }

  /**
   * Sort by `column`: the same column again flips its direction; `add` (shift-click) makes it
   * a further key instead of the only one.
   */
  sortBy(column: string, add = false): Promise<void> {
    const keys = this.sortKeys;
    const at = keys.findIndex(k => k.column === column);
    let next: ISortKey[];
    if (at >= 0) {
      const flipped = { column, descending: !keys[at].descending };
      next = add ? keys.map((k, i) => (i === at ? flipped : k)) : [flipped];
    } else {
      const key = { column, descending: false };
      next = add ? [...keys, key] : [key];
    }
    this._sort = formatSort(next);
    return this.reload();
  }

  addColumn(column: string): Promise<void> {
    const name = canonicalColumn(column);
    const columns = this.columns;
    if (!name || columns.includes(name)) {
      return Promise.resolve();
    }
    this._choose([...columns, name]);
    return this.reload();
  }

  /** Hide a column (any but `sys/id`, the row's link to its run). */
  removeColumn(column: string): Promise<void> {
    const columns = this.columns;
    if (column === 'sys/id' || !columns.includes(column)) {
      return Promise.resolve();
    }
    this._choose(columns.filter(c => c !== column));
    this._viewChanged.emit();
    this._changed.emit();
    return Promise.resolve(); // the rows loaded hold every other column already
  }

  /** Move `column` before `before` (null: to the end). No fetch: the rows hold it. */
  moveColumn(column: string, before: string | null): void {
    const columns = this.columns.filter(c => c !== column);
    if (columns.length === this.columns.length || column === before) {
      return;
    }
    const at = before === null ? -1 : columns.indexOf(before);
    columns.splice(at < 0 ? columns.length : at, 0, column);
    this._choose(columns);
    this._changed.emit();
  }

  /**
   * Set a column's width (pixels, clamped); no fetch. `persist` false while a drag goes on,
   * so only where it ends is written to the settings.
   */
  setWidth(column: string, width: number, persist = true): void {
    const px = Math.round(Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, width)));
    if (this._widths[column] !== px) {
      this._widths = { ...this._widths, [column]: px };
      this._changed.emit();
    }
    if (persist) {
      this._saveLayout();
    }
  }

  /**
   * Read the project's layout again (the settings loaded or changed elsewhere); refetch
   * only when the columns differ from those shown.
   */
  syncLayout(): void {
    const layout = this._layouts?.layout(this.layoutKey);
    if (!layout || this._fromView) {
      return;
    }
    const widths = cleanWidths(layout.widths);
    const columns = layout.columns ? [...layout.columns] : null;
    const sameColumns =
      JSON.stringify(columns) === JSON.stringify(this._chosen);
    if (
      sameColumns &&
      JSON.stringify(widths) === JSON.stringify(this._widths)
    ) {
      return;
    }
    this._layoutFor = this.layoutKey;
    this._chosen = columns;
    this._widths = widths;
    if (sameColumns) {
      this._changed.emit();
    } else {
      void this.reload();
    }
  }

  /** Back to the automatic columns and default widths. */
  resetColumns(): Promise<void> {
    this._chosen = null;
    this._widths = {};
    this._saveLayout();
    return this.reload();
  }

  /** How many runs there are without the query (in the table's project, if any). */
  async countAll(): Promise<number> {
    const answer = await this._fetch({
      query: '',
      project: this._project,
      limit: 0,
      offset: 0
    });
    return answer.total;
  }

  /** The row at `index` if its page is loaded (else undefined: call `ensure`). */
  rowAt(index: number): RunRow | undefined {
    return this._pages.get(Math.floor(index / this.pageSize))?.[
      index % this.pageSize
    ];
  }

  /** Fetch the pages holding rows `first..last` that are not loaded or on their way. */
  ensure(first: number, last: number): Promise<void> {
    const lastRow =
      this._total === null ? last : Math.min(last, this._total - 1);
    const wanted: Promise<void>[] = [];
    for (
      let page = Math.floor(Math.max(0, first) / this.pageSize);
      page <= Math.floor(lastRow / this.pageSize);
      page++
    ) {
      if (!this._pages.has(page) && !this._inflight.has(page)) {
        wanted.push(this._load(page));
      }
    }
    return Promise.all(wanted).then(() => undefined);
  }

  /**
   * Drop every page and fetch the first one again (query, sort or columns changed). With
   * automatic columns and a new query, the suggested columns are asked for first.
   */
  async reload(): Promise<void> {
    const generation = ++this._generation;
    this._pages.clear();
    this._cursors.clear();
    this._inflight.clear();
    this._exactTotal = false;
    this._viewChanged.emit();
    const key = JSON.stringify([this._query, this._project]);
    if (this._suggest && !this._chosen && this._suggestedFor !== key) {
      let auto: string[] = [];
      try {
        auto = await this._suggest({
          query: this._query,
          project: this._project
        });
      } catch {
        // A bad query: the page's answer says why.
      }
      if (generation !== this._generation) {
        return;
      }
      this._auto = auto.map(canonicalColumn);
      this._suggestedFor = key;
      this._viewChanged.emit();
    }
    return this._load(0);
  }

  /**
   * Fetch again (live states, new runs) the loaded pages holding rows `first..last`, or all
   * loaded pages without a range; rows stay on screen meanwhile. Pages out of the range are
   * dropped, to be fetched fresh when scrolled to.
   */
  async refresh(first?: number, last?: number): Promise<void> {
    let pages = [...this._pages.keys()];
    if (first !== undefined && last !== undefined) {
      const lo = Math.floor(Math.max(0, first) / this.pageSize);
      const hi = Math.floor(Math.max(0, last) / this.pageSize);
      pages
        .filter(p => p < lo || p > hi)
        .forEach(p => {
          this._pages.delete(p);
          this._cursors.delete(p);
        });
      pages = pages.filter(p => p >= lo && p <= hi);
    }
    pages.sort((a, b) => a - b); // each page after the one before: by its cursor
    await Promise.all((pages.length ? pages : [0]).map(p => this._load(p)));
  }

  // -- selection ---------------------------------------------------------------------------
  get selected(): string[] {
    return [...this._selected];
  }
  /** The row last selected or extended to (where the arrow keys move from), or null. */
  get cursor(): number | null {
    return this._cursor;
  }
  isSelected(id: string): boolean {
    return this._selected.has(id);
  }

  /**
   * Click on the row at `index`: alone (plain click), toggled (`toggle`, Ctrl/Cmd), or the
   * range from the last plainly clicked row (`range`, Shift) among loaded rows.
   */
  select(index: number, mode: 'only' | 'toggle' | 'range' = 'only'): void {
    const id = this.idAt(index);
    if (id === null) {
      return;
    }
    this._cursor = index;
    if (mode === 'range' && this._anchor !== null) {
      const [a, b] = [
        Math.min(this._anchor, index),
        Math.max(this._anchor, index)
      ];
      this._selected = new Set();
      for (let i = a; i <= b; i++) {
        const other = this.idAt(i);
        if (other !== null) {
          this._selected.add(other);
        }
      }
    } else if (mode === 'toggle') {
      if (!this._selected.delete(id)) {
        this._selected.add(id);
      }
      this._anchor = index;
    } else {
      this._selected = new Set([id]);
      this._anchor = index;
    }
    this._changed.emit();
  }

  /**
   * Select runs by id (a restored tab's selection), whether their rows are loaded or not;
   * the rows scrolled to later show as selected.
   */
  selectIds(ids: readonly string[]): void {
    this._selected = new Set(ids);
    this._anchor = null;
    this._cursor = null;
    this._changed.emit();
  }

  clearSelection(): void {
    this._selected.clear();
    this._anchor = null;
    this._cursor = null;
    this._changed.emit();
  }

  idAt(index: number): string | null {
    const id = this.rowAt(index)?.['sys/id'];
    return typeof id === 'string' ? id : null;
  }

  /**
   * Fetch page `page`. When the page before is on its way, wait for it and continue after
   * its last row (scrolling loads pages in order); without it, ask by offset.
   */
  private _load(page: number): Promise<void> {
    const before = this._inflight.get(page - 1);
    if (!before && this.pageRequest(page) === null) {
      return Promise.resolve(); // the page before was the last: nothing follows it
    }
    const slot: { loading?: Promise<void> } = {};
    const loading = this._fetchPage(page, before, slot);
    slot.loading = loading;
    this._inflight.set(page, loading);
    return loading;
  }

  private async _fetchPage(
    page: number,
    before: Promise<void> | undefined,
    slot: { loading?: Promise<void> } // filled by _load before the first await ends
  ): Promise<void> {
    const generation = this._generation;
    try {
      if (before) {
        await before;
      }

      if (generation !== this._generation) {
        return;
      }
      const how = this.pageRequest(page);
      if (how === null) {
        return; // the page before was the last: nothing follows it
      }
      const answer = await this._fetch({
        query: this._query,
        sort: this._sort,
        columns: this._fetchColumns(),
        project: this._project,
        limit: this.pageSize,
        ...how
      });
      if (generation !== this._generation) {
        return; // a newer query replaced this one
      }
      this._pages.set(page, answer.items);
      this._cursors.set(page, answer.next_cursor ?? null);
      const estimated = !!answer.total_estimated;
      if (!estimated || !this._exactTotal) {
        // An estimate does not replace an exact total (pages answer in any order).
        this._total = answer.total;
        this._totalEstimated = estimated;
        this._exactTotal = !estimated;
      }
      this._error = null;
    } catch (reason) {
      if (generation !== this._generation) {
        return;
      }
      this._error = reason instanceof Error ? reason.message : String(reason);
      if (page === 0) {
        this._total = 0;
        this._pages.clear();
        this._cursors.clear();
      }
    } finally {
      if (this._inflight.get(page) === slot.loading) {
        this._inflight.delete(page); // unless a newer load of the page took its place
      }
    }
    this._changed.emit();
  }

  /** Columns to ask for: the shown ones the server does not always send, and helpers. */
  private _fetchColumns(): string[] {
    const columns = this.extraColumns.map(columnText);
    if (this.columns.includes(NOTEBOOK_COLUMN)) {
      columns.push(NOTEBOOK_PATH);
    }
    return columns;
  }

  private _choose(columns: string[]): void {
    this._chosen = columns;
    this._saveLayout();
  }

  /** The stored layout of the project the table now shows, if it changed project. */
  private _loadLayout(): void {
    const key = this.layoutKey;
    if (!this._layouts || key === this._layoutFor) {
      return;
    }
    this._layoutFor = key;
    this._fromView = false;
    const layout = this._layouts.layout(key);
    this._chosen = layout?.columns ? [...layout.columns] : null;
    this._widths = cleanWidths(layout?.widths);
  }

  private _saveLayout(): void {
    this._layoutFor = this.layoutKey;
    this._fromView = false;
    this._layouts?.saveLayout(this._layoutFor, {
      columns: this._chosen ? [...this._chosen] : null,
      widths: { ...this._widths }
    });
  }

  private _fetch: (query: IRunsQuery) => Promise<IRunsPage>;
  private _suggest: IRunsTableModelOptions['suggest'] | null;
  private _layouts: ILayoutStore | null;
  private _layoutFor: string | null = null;
  /** The columns are a saved view's, not the project's layout. */
  private _fromView = false;
  private _query = '';
  private _sort = DEFAULT_SORT;
  private _chosen: string[] | null = null;
  private _auto: string[] = [];
  private _suggestedFor: string | null = null;
  private _widths: Record<string, number> = {};
  private _project: string | null;
  private _total: number | null = null;
  private _totalEstimated = false;
  private _error: string | null = null;
  private _pages = new Map<number, RunRow[]>();
  /** Each loaded page's `next_cursor` (null on the last page). */
  private _cursors = new Map<number, string | null>();
  private _inflight = new Map<number, Promise<void>>();
  /** The total shown is exact (no estimate replaces it until a reload). */
  private _exactTotal = false;
  private _generation = 0;
  private _selected = new Set<string>();
  private _anchor: number | null = null;
  private _cursor: number | null = null;
  private _changed = new Signal<this, void>(this);
  private _viewChanged = new Signal<this, void>(this);
}

/** Widths that are numbers within the limits. */
export function cleanWidths(raw: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (raw && typeof raw === 'object') {
    for (const [column, width] of Object.entries(raw)) {
      if (typeof width === 'number' && Number.isFinite(width)) {
        out[column] = Math.round(
          Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, width))
        );
      }
    }
  }
  return out;
}
