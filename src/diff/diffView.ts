/**
 * The diff viewer's main-area content: a header naming both sides, a one-line summary
 * ("3 cells changed, 1 moved, 2 outputs changed"), the filter toggles (shared by every
 * diff tab and kept in the settings, see prefs.ts), next/previous change, and nbdime's
 * side-by-side view below (base left, remote right) with intra-line highlights
 * (intraline.ts). The tab title says what is compared: "demo.ipynb: baseline → lr 0.05".
 */
import * as nbformat from '@jupyterlab/nbformat';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';
import { NotebookDiffModel } from 'nbdime/lib/diff/model';
import type { IDiffEntry as NbdimeDiffEntry } from 'nbdime/lib/diff/diffentries';

import { el } from '../dom';
import { defaultTrans } from '../i18n';
import { formatAbsolute } from '../time';
import { CURRENT, ICheckpoint, IDiffResponse } from '../tokens';
import {
  countChanges,
  describeChanges,
  filterDiff,
  IDiffEntry,
  IDiffFilters
} from './filter';
import { CHANGE_CLASS, FoldedNotebookDiff } from './folded';
import { refineCellDiff, refineNotebookDiff } from './intraline';
import { filterMove, withMoves } from './moves';
import { DiffPreferences } from './prefs';
import { diffTitle, sideLabel } from './title';

export namespace CheckpointDiffView {
  export interface IOptions {
    base: string;
    /** A checkpoint id, or `current` for the notebook on disk. */
    remote: string;
    rendermime: IRenderMimeRegistry;
    fetchDiff: () => Promise<IDiffResponse>;
    /** The entry of a checkpoint, for the header; null when it cannot be read. */
    describe: (id: string) => Promise<ICheckpoint | null>;
    /** Path of the notebook, for `current`. */
    path?: string;
    trans?: TranslationBundle;
    /** Handed to nbdime's widgets for their own words. */
    translator?: ITranslator;
    /** The toggles shared by the diff tabs (kept in the settings); a private set if unset. */
    preferences?: DiffPreferences;
  }
}

export class CheckpointDiffView extends Panel {
  constructor(options: CheckpointDiffView.IOptions) {
    super();
    this._options = options;
    const trans = (this._trans = options.trans ?? defaultTrans());
    this._started = performance.now();
    this._prefs = options.preferences ?? new DiffPreferences();
    this._prefs.changed.connect(this._onFiltersChanged, this);
    this.addClass('jp-mltrack-diff');
    this.node.dataset.base = options.base;
    this.node.dataset.remote = options.remote;

    this._header = new Widget({ node: el('div', 'jp-mltrack-diff-header') });
    this._baseLabel = el('div', 'jp-mltrack-diff-side jp-mltrack-diff-base');
    this._remoteLabel = el(
      'div',
      'jp-mltrack-diff-side jp-mltrack-diff-remote'
    );
    this._header.node.append(this._baseLabel, this._remoteLabel);
    this._setSide(this._baseLabel, 'base', options.base, null);
    this._setSide(this._remoteLabel, 'remote', options.remote, null);
    this._updateTitle();

    const summary = new Widget({ node: el('div', 'jp-mltrack-diff-summary') });
    summary.node.setAttribute('role', 'status');
    this._summary = summary.node;

    const controls = new Widget({
      node: el('div', 'jp-mltrack-diff-controls')
    });
    this._toggle(controls.node, trans.__('Hide outputs'), 'hideOutputs');
    this._toggle(
      controls.node,
      trans.__('Hide execution-count-only changes'),
      'hideExecutionCount'
    );
    this._toggle(
      controls.node,
      trans.__('Hide metadata-only changes'),
      'hideMetadata'
    );
    this._prev = button(trans.__('Previous change'), '↑', () => this.step(-1));
    this._next = button(trans.__('Next change'), '↓', () => this.step(1));
    this._position = el('span', 'jp-mltrack-diff-position');
    this._position.setAttribute('aria-live', 'polite');
    controls.node.append(this._prev, this._next, this._position);

    this._body = new Panel();
    this._body.addClass('jp-mltrack-diff-body');
    this._status = el(
      'p',
      'jp-mltrack-diff-status',
      trans.__('Loading the diff…')
    );
    this._body.node.appendChild(this._status);

    this.addWidget(this._header);
    this.addWidget(summary);
    this.addWidget(controls);
    this.addWidget(this._body);
    this.node.tabIndex = -1;
    this.node.addEventListener('keydown', this._onKeyDown);
  }

  /** Milliseconds from opening to the first cells on screen; null until then. */
  get firstPaint(): number | null {
    return this._firstPaint;
  }

  /** Resolves when the diff is fetched and its first cells are drawn. */
  get ready(): Promise<void> {
    return this._ready;
  }

  /** Scroll to the next (1) or previous (-1) change. */
  step(direction: 1 | -1): void {
    const changes = this._changes();
    if (!changes.length) {
      return;
    }
    const index = this._current + direction;
    this._current = Math.min(changes.length - 1, Math.max(0, index));
    const node = changes[this._current];
    changes.forEach(c => c.classList.remove('jp-mod-current'));
    node.classList.add('jp-mod-current');
    node.scrollIntoView({ block: 'start' });
    this._updatePosition();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (!this._loading) {
      this._loading = true;
      this._ready = this._load();
    }
  }

  private async _load(): Promise<void> {
    const { base, remote } = this._options;
    void this._options.describe(base).then(entry => {
      this._entries.base = entry;
      this._setSide(this._baseLabel, 'base', base, entry);
      this._updateTitle();
    });
    if (remote !== CURRENT) {
      void this._options.describe(remote).then(entry => {
        this._entries.remote = entry;
        this._setSide(this._remoteLabel, 'remote', remote, entry);
        this._updateTitle();
      });
    }
    try {
      this._data = refined(await this._options.fetchDiff());
    } catch (reason) {
      this._status.textContent = this._trans.__(
        'Cannot compute the diff: %1',
        reason instanceof Error ? reason.message : String(reason)
      );
      this._status.classList.add('jp-mltrack-error');
      this.node.dataset.state = 'error';
      return;
    }
    await this._render();
  }

  /** (Re)build nbdime's model from the filtered diff and draw it. */
  private async _render(): Promise<void> {
    const data = this._data;
    if (!data || this.isDisposed) {
      return;
    }
    const filters = this._prefs.filters;
    this._syncToggles();
    const diff = filterDiff(data.diff as IDiffEntry[], filters);
    const moved = (data.summary.moved ?? []).map(m => filterMove(m, filters));
    const counts = withMoves(countChanges(diff, filters), moved.length);
    this._summary.textContent = describeChanges(counts, this._trans);
    this._view?.dispose();
    this._status.hidden = true;
    const model = new NotebookDiffModel(
      data.base as nbformat.INotebookContent,
      diff as unknown as NbdimeDiffEntry[]
    );
    const view = new FoldedNotebookDiff({
      model,
      rendermime: this._options.rendermime,
      fold: true,
      trans: this._trans,
      translator: this._options.translator,
      moves: { moved, base: data.base as nbformat.INotebookContent }
    });
    this._view = view;
    this._current = -1;
    this._body.addWidget(view);
    this._body.toggleClass('jp-mltrack-hide-outputs', filters.hideOutputs);
    const drawn = view.init();
    if (this._firstPaint === null) {
      // The first batch is in the DOM now; wait for the browser to paint it.
      await new Promise(resolve => requestAnimationFrame(resolve));
      this._firstPaint = performance.now() - this._started;
      this.node.dataset.firstPaintMs = this._firstPaint.toFixed(0);
    }
    this.node.dataset.state = 'ready';
    this._updatePosition();
    await drawn;
    this._updatePosition();
  }

  private _changes(): HTMLElement[] {
    return Array.from(
      this._body.node.querySelectorAll<HTMLElement>('.' + CHANGE_CLASS)
    );
  }

  private _updatePosition(): void {
    const trans = this._trans;
    const total = this._changes().length;
    this._prev.disabled = this._current <= 0;
    this._next.disabled = this._current >= total - 1;
    this._position.textContent = total
      ? this._current >= 0
        ? trans.__('Change %1 of %2', this._current + 1, total)
        : trans._n('%1 change', '%1 changes', total)
      : trans.__('No changes');
  }

  private _setSide(
    node: HTMLElement,
    side: 'base' | 'remote',
    id: string,
    entry: ICheckpoint | null
  ): void {
    const trans = this._trans;
    const role = side === 'base' ? trans.__('Base') : trans.__('Remote');
    const title =
      id === CURRENT
        ? trans.__('Current notebook')
        : entry
          ? sideLabel(id, entry, trans)
          : trans.__('Checkpoint %1', id.slice(0, 8));
    const detail =
      id === CURRENT
        ? (this._options.path ?? trans.__('as saved on disk'))
        : entry
          ? `${formatAbsolute(entry.created_at)} · ${entry.notebook_path}`
          : id;
    node.replaceChildren(
      el('span', 'jp-mltrack-diff-role', role),
      el('span', 'jp-mltrack-diff-name', title),
      el('span', 'jp-mltrack-diff-detail', detail)
    );
    node.dataset.title = title;
    node.title = entry?.description ?? '';
  }

  /** "demo.ipynb: baseline → lr 0.05"; the caption adds the paths. */
  private _updateTitle(): void {
    const { base, remote, path } = this._options;
    this.title.label = diffTitle(
      { id: base, entry: this._entries.base },
      { id: remote, entry: this._entries.remote },
      path,
      this._trans
    );
    const side = (node: HTMLElement): string =>
      `${node.dataset.title ?? ''} (${node.querySelector('.jp-mltrack-diff-detail')?.textContent ?? ''})`;
    this.title.caption = this._trans.__(
      'Diff of %1 and %2',
      side(this._baseLabel),
      side(this._remoteLabel)
    );
  }

  private _toggle(
    parent: HTMLElement,
    text: string,
    key: keyof IDiffFilters
  ): void {
    const label = el('label', 'jp-mltrack-toggle');
    const input = el('input', '');
    input.type = 'checkbox';
    input.dataset.filter = key;
    input.checked = this._prefs.filters[key];
    input.addEventListener('change', () => {
      // Every open diff tab follows, and the settings keep it (prefs.ts).
      this._prefs.filters = { ...this._prefs.filters, [key]: input.checked };
    });
    label.append(input, document.createTextNode(text));
    parent.appendChild(label);
  }

  /** The checkboxes show the shared toggles (another tab may have flipped them). */
  private _syncToggles(): void {
    const filters = this._prefs.filters;
    this.node
      .querySelectorAll<HTMLInputElement>('input[data-filter]')
      .forEach(input => {
        input.checked = filters[input.dataset.filter as keyof IDiffFilters];
      });
  }

  private _onFiltersChanged(): void {
    if (this._data) {
      void this._render();
    } else {
      this._syncToggles();
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._prefs.changed.disconnect(this._onFiltersChanged, this);
    super.dispose();
  }

  /** Alt+↓ / Alt+↑ (or n / p outside editors) walk the changes. */
  private _onKeyDown = (event: KeyboardEvent): void => {
    const inEditor = (event.target as HTMLElement).closest('.cm-editor, input');
    const next =
      (event.altKey && event.key === 'ArrowDown') ||
      (!inEditor && event.key === 'n');
    const prev =
      (event.altKey && event.key === 'ArrowUp') ||
      (!inEditor && event.key === 'p');
    if (next || prev) {
      event.preventDefault();
      this.step(next ? 1 : -1);
    }
  };

  private _options: CheckpointDiffView.IOptions;
  private _trans: TranslationBundle;
  private _prefs: DiffPreferences;
  private _entries: { base: ICheckpoint | null; remote: ICheckpoint | null } = {
    base: null,
    remote: null
  };
  private _data: IDiffResponse | null = null;
  private _view: FoldedNotebookDiff | null = null;
  private _current = -1;
  private _started: number;
  private _firstPaint: number | null = null;
  private _loading = false;
  private _ready: Promise<void> = Promise.resolve();
  private _header: Widget;
  private _baseLabel: HTMLElement;
  private _remoteLabel: HTMLElement;
  private _prev: HTMLButtonElement;
  private _next: HTMLButtonElement;
  private _position: HTMLElement;
  private _summary: HTMLElement;
  private _body: Panel;
  private _status: HTMLElement;
}

/** The diff with each edited source line as a character patch (intraline.ts), moves too. */
function refined(data: IDiffResponse): IDiffResponse {
  const base = data.base as { cells?: { source?: unknown }[] };
  const cells = base.cells ?? [];
  return {
    ...data,
    diff: refineNotebookDiff(base, data.diff as IDiffEntry[]),
    summary: {
      ...data.summary,
      moved: (data.summary.moved ?? []).map(move =>
        move.edited && cells[move.base]
          ? {
              ...move,
              diff: refineCellDiff(
                cells[move.base],
                move.diff as IDiffEntry[]
              ) as typeof move.diff
            }
          : move
      )
    }
  };
}

function button(
  label: string,
  text: string,
  onClick: () => void
): HTMLButtonElement {
  const node = el(
    'button',
    'jp-mltrack-button jp-mod-styled',
    text + ' ' + label
  );
  node.type = 'button';
  node.setAttribute('aria-label', label);
  node.addEventListener('click', onClick);
  return node;
}
