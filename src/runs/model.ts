/**
 * State of the runs table: the query, sort and columns of the view, the rows loaded so far
 * and the selection. Rows come from the server in pages (500 by default) fetched only when
 * the table scrolls near them, so 10,000 runs cost one small request to paint.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { DEFAULT_COLUMNS, DEFAULT_SORT } from '../sysfields';
import { IRunsPage, IRunsQuery, RunRow } from './api';

export { DEFAULT_COLUMNS, DEFAULT_SORT };

/** A named view of the table, kept in the settings registry. */
export interface ISavedView {
  name: string;
  query: string;
  /** Comma-separated keys, `-` for descending. */
  sort: string;
  /** Columns added to the default ones. */
  columns: string[];
}

export interface IRunsTableModelOptions {
  fetch: (query: IRunsQuery) => Promise<IRunsPage>;
  pageSize?: number;
  project?: string | null;
  /** The query of the first load. */
  query?: string;
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
    this.pageSize = options.pageSize ?? 500;
    this._project = options.project ?? null;
    this._query = (options.query ?? '').trim();
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
  get extraColumns(): string[] {
    return [...this._extra];
  }
  get project(): string | null {
    return this._project;
  }
  /** Columns shown, in order (what the server answered, else the defaults + extras). */
  get columns(): string[] {
    return this._columns ?? [...DEFAULT_COLUMNS, ...this._extra];
  }
  /** Runs matching the query; null before the first answer. */
  get total(): number | null {
    return this._total;
  }
  /** The last error (a bad query shows its caret message), or null. */
  get error(): string | null {
    return this._error;
  }
  get loading(): boolean {
    return this._inflight.size > 0;
  }

  /** The view as saved in the settings. */
  view(name: string): ISavedView {
    return {
      name,
      query: this._query,
      sort: this._sort,
      columns: this.extraColumns
    };
  }

  /** Apply a saved view (one reload). */
  applyView(view: Partial<ISavedView>): Promise<void> {
    this._query = view.query ?? '';
    this._sort = view.sort || DEFAULT_SORT;
    this._extra = [...(view.columns ?? [])];
    return this.reload();
  }

  setQuery(query: string): Promise<void> {
    this._query = query.trim();
    return this.reload();
  }

  setProject(project: string | null): Promise<void> {
    this._project = project;
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
    const name = column.trim();
    if (!name || this.columns.includes(name)) {
      return Promise.resolve();
    }
    this._extra.push(name);
    return this.reload();
  }

  removeColumn(column: string): Promise<void> {
    const at = this._extra.indexOf(column);
    if (at < 0) {
      return Promise.resolve();
    }
    this._extra.splice(at, 1);
    return this.reload();
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

  /** Drop every page and fetch the first one again (query, sort or columns changed). */
  reload(): Promise<void> {
    this._generation++;
    this._pages.clear();
    this._inflight.clear();
    this._viewChanged.emit();
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
      pages.filter(p => p < lo || p > hi).forEach(p => this._pages.delete(p));
      pages = pages.filter(p => p >= lo && p <= hi);
    }
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

  private async _load(page: number): Promise<void> {
    const generation = this._generation;
    this._inflight.add(page);
    try {
      const answer = await this._fetch({
        query: this._query,
        sort: this._sort,
        columns: this._extra,
        project: this._project,
        limit: this.pageSize,
        offset: page * this.pageSize
      });
      if (generation !== this._generation) {
        return; // a newer query replaced this one
      }
      this._pages.set(page, answer.items);
      this._total = answer.total;
      this._columns = answer.columns;
      this._error = null;
    } catch (reason) {
      if (generation !== this._generation) {
        return;
      }
      this._error = reason instanceof Error ? reason.message : String(reason);
      if (page === 0) {
        this._total = 0;
        this._pages.clear();
      }
    } finally {
      if (generation === this._generation) {
        this._inflight.delete(page);
      }
    }
    this._changed.emit();
  }

  private _fetch: (query: IRunsQuery) => Promise<IRunsPage>;
  private _query = '';
  private _sort = DEFAULT_SORT;
  private _extra: string[] = [];
  private _project: string | null;
  private _columns: string[] | null = null;
  private _total: number | null = null;
  private _error: string | null = null;
  private _pages = new Map<number, RunRow[]>();
  private _inflight = new Set<number>();
  private _generation = 0;
  private _selected = new Set<string>();
  private _anchor: number | null = null;
  private _cursor: number | null = null;
  private _changed = new Signal<this, void>(this);
  private _viewChanged = new Signal<this, void>(this);
}
