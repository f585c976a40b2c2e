/**
 * The checkpoint history the sidebar shows: which notebook (or all), which filters, the
 * page fetched so far, the selection for comparing, and polling so new checkpoints appear
 * without a reload. No DOM here, so jest covers it whole.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { defaultTrans } from '../i18n';
import { toMillis } from '../time';
import { DEFAULT_SETTINGS, ICheckpoint, IListQuery, IPage } from '../tokens';

export type HistoryScope = 'notebook' | 'all';
export type HistoryStatus = 'idle' | 'loading' | 'ready' | 'error';

/** Poll period: a checkpoint taken by a kernel shows up within two seconds. */
export const POLL_INTERVAL = 1000;

export namespace HistoryModel {
  export interface IOptions {
    /** `listCheckpoints` of `api.ts` in the lab. */
    list: (query: IListQuery) => Promise<IPage<ICheckpoint>>;
    /** Milliseconds between polls; 0 turns polling off (unit tests). */
    pollInterval?: number;
    pageSize?: number;
    /** Words of `emptyText`. */
    trans?: TranslationBundle;
  }
}

export class HistoryModel implements IDisposable {
  constructor(options: HistoryModel.IOptions) {
    this._list = options.list;
    this._trans = options.trans ?? defaultTrans();
    this._pageSize = options.pageSize ?? DEFAULT_SETTINGS.historyPageSize;
    this._limit = this._pageSize;
    const interval = options.pollInterval ?? POLL_INTERVAL;
    if (interval > 0) {
      this._poll = new Poll({
        name: 'mltrack:history',
        factory: () => this._fetch(true),
        frequency: { interval, backoff: true, max: 60 * 1000 },
        standby: 'when-hidden'
      });
    }
  }

  /** Emitted whenever anything the view shows changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Path of the notebook followed (the active one), or null when none is open. */
  get path(): string | null {
    return this._path;
  }
  set path(value: string | null) {
    if (value === this._path) {
      return;
    }
    this._path = value;
    this._resetPage();
  }

  get scope(): HistoryScope {
    return this._scope;
  }
  set scope(value: HistoryScope) {
    if (value === this._scope) {
      return;
    }
    this._scope = value;
    this._resetPage();
  }

  /** Whether save-triggered checkpoints are listed. */
  get showSaves(): boolean {
    return this._showSaves;
  }
  set showSaves(value: boolean) {
    if (value === this._showSaves) {
      return;
    }
    this._showSaves = value;
    this._resetPage();
  }

  /** Text searched in names, descriptions and paths ('' = everything). */
  get query(): string {
    return this._query;
  }
  set query(value: string) {
    const trimmed = value.trim();
    if (trimmed === this._query) {
      return;
    }
    this._query = trimmed;
    this._resetPage();
  }

  get pageSize(): number {
    return this._pageSize;
  }
  set pageSize(value: number) {
    const size = Math.max(1, Math.floor(value));
    if (size === this._pageSize) {
      return;
    }
    this._pageSize = size;
    this._limit = size;
    void this.refresh();
  }

  get status(): HistoryStatus {
    return this._status;
  }

  /** Why the last fetch failed, or ''. */
  get error(): string {
    return this._error;
  }

  /** Checkpoints fetched so far, newest first. */
  get items(): readonly ICheckpoint[] {
    return this._items;
  }

  /** How many checkpoints match, fetched or not. */
  get total(): number {
    return this._total;
  }

  /** Whether the server holds more than the pages fetched. */
  get hasMore(): boolean {
    return this._fetched < this._total;
  }

  /** True when the view lists nothing because no notebook is open. */
  get needsNotebook(): boolean {
    return this._scope === 'notebook' && !this._path;
  }

  /** What an empty list should tell the user to do; '' while the list has items. */
  get emptyText(): string {
    const trans = this._trans;
    if (this.needsNotebook) {
      return trans.__(
        'Open a notebook to see its checkpoints, or switch to "All notebooks".'
      );
    }
    if (this._status !== 'ready' || this._items.length > 0) {
      return '';
    }
    if (this._query) {
      return trans.__('No checkpoint matches "%1".', this._query);
    }
    const hidden = this._showSaves
      ? ''
      : trans.__(' (save checkpoints are hidden)');
    if (this._scope === 'all') {
      return trans.__(
        'No checkpoints in this store yet%1. Open a notebook and use "Checkpoint now", or start a run with jupyter_mltrack.init_run().',
        hidden
      );
    }
    return trans.__(
      'No checkpoints of this notebook yet%1. Use "Checkpoint now", save it, or start a run with jupyter_mltrack.init_run() in its kernel.',
      hidden
    );
  }

  /** Ids picked for comparing, at most two, oldest pick first. */
  get selection(): readonly string[] {
    return this._selection;
  }

  isSelected(id: string): boolean {
    return this._selection.includes(id);
  }

  /** Pick or unpick `id`; a third pick drops the oldest pick. */
  toggleSelected(id: string): void {
    if (this._selection.includes(id)) {
      this._selection = this._selection.filter(s => s !== id);
    } else {
      this._selection = [...this._selection, id].slice(-2);
    }
    this._changed.emit();
  }

  clearSelection(): void {
    if (this._selection.length) {
      this._selection = [];
      this._changed.emit();
    }
  }

  /** The two picks as (older, newer), or null unless exactly two are picked. */
  get comparePair(): { base: ICheckpoint; remote: ICheckpoint } | null {
    if (this._selection.length !== 2) {
      return null;
    }
    const [a, b] = this._selection.map(id => this.find(id));
    if (!a || !b) {
      return null;
    }
    const older = toMillis(a.created_at) <= toMillis(b.created_at);
    return older ? { base: a, remote: b } : { base: b, remote: a };
  }

  find(id: string): ICheckpoint | undefined {
    return this._items.find(item => item.id === id);
  }

  /** Fetch the next page too. */
  loadMore(): Promise<void> {
    this._limit += this._pageSize;
    return this.refresh();
  }

  /** Replace one entry after a rename or describe, without waiting for the next poll. */
  replace(entry: ICheckpoint): void {
    const index = this._items.findIndex(item => item.id === entry.id);
    if (index >= 0) {
      this._items = this._items.map((item, i) => (i === index ? entry : item));
      this._signature = Private.signature(this._items, this._total);
      this._changed.emit();
    }
  }

  /** Fetch now. Never rejects: a failure becomes the `error` status. */
  async refresh(): Promise<void> {
    try {
      await this._fetch(false);
    } catch {
      // Already recorded as the error status.
    }
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._poll?.dispose();
    Signal.clearData(this);
  }

  private _resetPage(): void {
    this._limit = this._pageSize;
    this._items = [];
    this._total = 0;
    this._fetched = 0;
    this._signature = '';
    this._selection = [];
    this._status = 'idle';
    this._changed.emit();
    void this.refresh();
  }

  /**
   * One request for the current view. Emits only when what is shown changed, so a poll
   * that finds nothing new costs no rendering. Rejects on failure (the poll backs off).
   */
  private async _fetch(quiet: boolean): Promise<void> {
    if (this._isDisposed || this.needsNotebook) {
      return;
    }
    const request = ++this._requests;
    if (!quiet && this._status !== 'ready') {
      this._status = 'loading';
      this._changed.emit();
    }
    const query: IListQuery = {
      path: this._scope === 'all' ? null : this._path,
      q: this._query || undefined,
      excludeTrigger: this._showSaves ? undefined : 'save',
      limit: this._limit,
      offset: 0
    };
    let page: IPage<ICheckpoint>;
    try {
      page = await this._list(query);
    } catch (reason) {
      if (request === this._requests && !this._isDisposed) {
        const message = Private.describe(reason);
        if (this._status !== 'error' || this._error !== message) {
          this._status = 'error';
          this._error = message;
          this._changed.emit();
        }
      }
      throw reason;
    }
    if (request !== this._requests || this._isDisposed) {
      return;
    }
    // The server leaves save checkpoints out (`exclude_trigger`), so `total` counts only
    // what the list can show and "N checkpoints" agrees with it.
    const items = page.items;
    const signature = Private.signature(items, page.total);
    if (signature === this._signature && this._status === 'ready') {
      return;
    }
    this._items = items;
    this._fetched = page.items.length;
    this._total = page.total;
    this._signature = signature;
    this._status = 'ready';
    this._error = '';
    const known = new Set(items.map(item => item.id));
    this._selection = this._selection.filter(id => known.has(id));
    this._changed.emit();
  }

  private _list: (query: IListQuery) => Promise<IPage<ICheckpoint>>;
  private _trans: TranslationBundle;
  private _poll: Poll | null = null;
  private _path: string | null = null;
  private _scope: HistoryScope = 'notebook';
  private _showSaves = true;
  private _query = '';
  private _pageSize: number;
  private _limit: number;
  private _items: ICheckpoint[] = [];
  private _total = 0;
  private _fetched = 0;
  private _signature = '';
  private _selection: string[] = [];
  private _status: HistoryStatus = 'idle';
  private _error = '';
  private _requests = 0;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

namespace Private {
  export function describe(reason: unknown): string {
    if (reason instanceof Error) {
      return reason.message || reason.name;
    }
    return String(reason);
  }

  /** Everything shown of a page, to skip re-rendering when a poll brings nothing new. */
  export function signature(items: ICheckpoint[], total: number): string {
    return JSON.stringify([total, items]);
  }
}
