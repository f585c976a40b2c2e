/**
 * The ML Track sidebar: the active notebook's checkpoint history (or all notebooks'), with
 * filters, actions and inline editing, above the store's status. Text only goes through
 * `textContent`; the layout lives in `style/base.css`.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Menu, Widget } from '@lumino/widgets';

import { el } from '../dom';
import { defaultTrans } from '../i18n';
import { checkpointIcon, diffIcon, mltrackIcon } from '../icons';
import { CommandIDs, RunsCommandIDs, SIDEBAR_ID } from '../tokens';
import { HistoryModel } from './model';
import { renderItem, updateTimes } from './item';
import { StoreStatusModel } from './status';
import { TimelineModel } from './timeline';
import { TimelineScrubber } from './timelineView';

export type EditableField = 'name' | 'description';

export namespace HistorySidebar {
  export interface IOptions {
    model: StoreStatusModel;
    history: HistoryModel;
    commands: CommandRegistry;
    /** Saves an inline edit (PATCH); rejects to keep the editor open. */
    saveEdit: (
      id: string,
      field: EditableField,
      value: string
    ) => Promise<void>;
    /** Words of the sidebar; the English source without it. */
    trans?: TranslationBundle;
  }
}

/** Commands of an entry's "More…" menu, in order. */
const MORE_COMMANDS = [
  CommandIDs.rename,
  CommandIDs.describe,
  CommandIDs.copyLink,
  CommandIDs.restoreCopy,
  CommandIDs.revert,
  CommandIDs.remove
];

export class HistorySidebar extends Widget {
  constructor(options: HistorySidebar.IOptions) {
    super();
    this.model = options.model;
    this.history = options.history;
    this._commands = options.commands;
    this._saveEdit = options.saveEdit;
    const trans = (this._trans = options.trans ?? defaultTrans());
    this.id = SIDEBAR_ID;
    this.addClass('jp-mltrack-sidebar');
    this.title.icon = mltrackIcon;
    this.title.caption = trans.__('ML Track');

    const header = el('h2', 'jp-mltrack-header', trans.__('ML Track'));
    const toolbar = el('div', 'jp-mltrack-toolbar');
    this._checkpoint = iconButton(trans.__('Checkpoint now'), checkpointIcon);
    this._checkpoint.classList.add('jp-mltrack-checkpoint-now');
    this._checkpoint.addEventListener('click', () => {
      void this._commands.execute(CommandIDs.checkpointNow);
    });
    this._compare = iconButton(trans.__('Compare selected'), diffIcon);
    this._compare.classList.add('jp-mltrack-compare-selected');
    this._compare.addEventListener('click', () => {
      void this._commands.execute(CommandIDs.compare);
    });
    toolbar.append(this._checkpoint, this._compare);

    const filters = el('div', 'jp-mltrack-filters');
    this._search = el('input', 'jp-mltrack-search jp-mod-styled');
    this._search.type = 'search';
    this._search.placeholder = trans.__('Search names and descriptions');
    this._search.setAttribute('aria-label', trans.__('Search checkpoints'));
    this._search.addEventListener('input', () => {
      window.clearTimeout(this._searchTimer);
      this._searchTimer = window.setTimeout(() => {
        this.history.query = this._search.value;
      }, 250);
    });
    this._all = checkbox(
      trans.__('All notebooks'),
      'jp-mltrack-scope',
      checked => {
        this.history.scope = checked ? 'all' : 'notebook';
      }
    );
    this._saves = checkbox(
      trans.__('Save checkpoints'),
      'jp-mltrack-saves',
      checked => {
        this.history.showSaves = checked;
      }
    );
    filters.append(this._search, this._all.label, this._saves.label);

    this._following = el('p', 'jp-mltrack-following');
    this._timeline = new TimelineScrubber({
      model: new TimelineModel(),
      show: id => void this._commands.execute(CommandIDs.preview, { id }),
      compare: (base, remote) =>
        void this._commands.execute(CommandIDs.compare, { base, remote }),
      restore: id => void this._commands.execute(CommandIDs.revert, { id }),
      trans
    });
    this._list = el('ul', 'jp-mltrack-history');
    this._list.setAttribute('aria-label', trans.__('Checkpoint history'));
    this._list.addEventListener('click', this._onClick);
    this._list.addEventListener('dblclick', this._onDoubleClick);
    this._list.addEventListener('keydown', this._onKeyDown);
    this._empty = el('p', 'jp-mltrack-empty');
    this._historyError = el('p', 'jp-mltrack-history-error jp-mltrack-error');
    this._more = el(
      'button',
      'jp-mltrack-load-more jp-mod-styled',
      trans.__('Load more')
    );
    this._more.addEventListener('click', () => void this.history.loadMore());

    const store = el('section', 'jp-mltrack-section jp-mltrack-store-section');
    store.appendChild(el('h3', 'jp-mltrack-section-title', trans.__('Store')));
    const fields = el('dl', 'jp-mltrack-fields');
    this._store = field(fields, trans.__('URL'), 'jp-mltrack-store');
    this._revision = field(
      fields,
      trans.__('Schema'),
      'jp-mltrack-schema-revision'
    );
    store.appendChild(fields);
    this._status = el('p', 'jp-mltrack-status');
    this._retry = el(
      'button',
      'jp-mltrack-retry jp-mod-styled',
      trans.__('Retry')
    );
    this._retry.addEventListener('click', () => void this.model.refresh());
    store.append(this._status, this._retry);

    this.node.append(
      header,
      toolbar,
      filters,
      this._following,
      this._timeline.node,
      this._historyError,
      this._list,
      this._more,
      this._empty,
      store
    );
    this.model.changed.connect(this._renderStore, this);
    this.history.changed.connect(this._renderHistory, this);
    this._renderStore();
    this._renderHistory();
  }

  readonly model: StoreStatusModel;
  readonly history: HistoryModel;

  /** The timeline's state: its handles, and the checkpoint the preview tab shows. */
  get timeline(): TimelineModel {
    return this._timeline.model;
  }

  /** Turn the name or description of checkpoint `id` into an editor. */
  edit(id: string, which: EditableField): void {
    const item = this._item(id);
    const entry = this.history.find(id);
    if (!item || !entry || this._editing) {
      return;
    }
    const target = item.querySelector<HTMLElement>(
      which === 'name' ? '.jp-mltrack-name' : '.jp-mltrack-description'
    );
    if (!target) {
      return;
    }
    const editor =
      which === 'name'
        ? el('input', 'jp-mltrack-edit jp-mod-styled')
        : el('textarea', 'jp-mltrack-edit jp-mod-styled');
    editor.value = which === 'name' ? entry.name : entry.description;
    const trans = this._trans;
    editor.setAttribute(
      'aria-label',
      which === 'name'
        ? trans.__('Checkpoint name')
        : trans.__('Checkpoint description')
    );
    editor.placeholder =
      which === 'name'
        ? trans.__('Name')
        : trans.__('Description (Shift+Enter: new line)');
    this._editing = id;
    target.hidden = true;
    target.after(editor);

    let done = false;
    const finish = async (save: boolean): Promise<void> => {
      if (done) {
        return;
      }
      done = true;
      if (save && editor.value !== (entry[which] ?? '')) {
        editor.disabled = true;
        try {
          await this._saveEdit(id, which, editor.value);
        } catch {
          done = false;
          editor.disabled = false;
          editor.focus();
          return;
        }
      }
      this._editing = null;
      this._renderHistory();
      this._item(id)?.focus();
    };
    editor.addEventListener('keydown', (event: Event) => {
      const { key, shiftKey } = event as KeyboardEvent;
      event.stopPropagation();
      if (key === 'Escape') {
        event.preventDefault();
        void finish(false);
      } else if (key === 'Enter' && !shiftKey) {
        event.preventDefault();
        void finish(true);
      }
    });
    editor.addEventListener('blur', () => void finish(true));
    editor.focus();
    editor.select();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    window.clearInterval(this._clock);
    window.clearTimeout(this._searchTimer);
    this._timeline.dispose();
    this.model.changed.disconnect(this._renderStore, this);
    this.history.changed.disconnect(this._renderHistory, this);
    super.dispose();
  }

  /** Fetch on show, and keep the relative times fresh while visible. */
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (this.model.status === 'idle' || this.model.status === 'error') {
      void this.model.refresh();
    }
    void this.history.refresh();
    window.clearInterval(this._clock);
    this._clock = window.setInterval(
      () => updateTimes(this._list, Date.now(), this._trans),
      30000
    );
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    window.clearInterval(this._clock);
  }

  private _item(id: string): HTMLElement | null {
    const nodes = Array.from(this._list.children) as HTMLElement[];
    return nodes.find(node => node.dataset.id === id) ?? null;
  }

  private _renderStore(): void {
    const { status } = this.model;
    this._store.textContent = this.model.storeUrl || '—';
    this._store.title = this.model.storeUrl;
    this._revision.textContent = this.model.schemaRevision || '—';
    this._status.textContent = this.model.statusText;
    this._status.classList.toggle('jp-mltrack-error', status === 'error');
    this._retry.hidden = status !== 'error';
    this.node.dataset.status = status;
  }

  private _renderHistory(): void {
    const history = this.history;
    const trans = this._trans;
    this._all.input.checked = history.scope === 'all';
    this._saves.input.checked = history.showSaves;
    this._compare.disabled = history.comparePair === null;
    const count = trans._n('%1 checkpoint', '%1 checkpoints', history.total);
    this._following.textContent =
      history.scope === 'all'
        ? trans.__('All notebooks · %1', count)
        : history.path
          ? `${history.path} · ${count}`
          : trans.__('No notebook open');
    this._following.title = history.path ?? '';
    this._historyError.textContent =
      history.status === 'error' ? history.error : '';
    this._historyError.hidden = history.status !== 'error';
    this._empty.textContent = history.emptyText;
    this._empty.hidden = !history.emptyText;
    this._more.hidden = !history.hasMore;
    this.node.dataset.historyStatus = history.status;
    // The timeline scrubs one notebook's history, not all notebooks' mixed.
    this._timeline.model.setItems(
      history.scope === 'notebook' ? history.items : []
    );
    if (this._editing) {
      return; // The list is redrawn when the edit ends.
    }
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.id;
    const now = Date.now();
    const items = history.items.map(entry =>
      renderItem({
        entry,
        selected: history.isSelected(entry.id),
        showPath: history.scope === 'all',
        now,
        trans
      })
    );
    this._list.replaceChildren(...items);
    if (focused) {
      this._item(focused)?.focus();
    }
  }

  private _onClick = (event: MouseEvent): void => {
    const target = event.target as HTMLElement;
    const item = target.closest<HTMLElement>('.jp-mltrack-checkpoint');
    const id = item?.dataset.id;
    if (!id) {
      return;
    }
    switch (target.dataset.action) {
      case 'select':
        this.history.toggleSelected(id);
        break;
      case 'compare':
        void this._commands.execute(CommandIDs.compareCurrent, { id });
        break;
      case 'open':
        void this._commands.execute(CommandIDs.open, { id });
        break;
      case 'run':
        // The run badge: the run's view (runs plugin).
        void this._commands.execute(RunsCommandIDs.openRun, {
          id: target.dataset.run ?? ''
        });
        break;
      case 'more': {
        const rect = target.getBoundingClientRect();
        this._menu(id).open(rect.left, rect.bottom);
        break;
      }
    }
  };

  private _onDoubleClick = (event: MouseEvent): void => {
    const target = event.target as HTMLElement;
    const id = target.closest<HTMLElement>('.jp-mltrack-checkpoint')?.dataset
      .id;
    if (id && target.dataset.action === 'rename') {
      this.edit(id, 'name');
    } else if (id && target.dataset.action === 'describe') {
      this.edit(id, 'description');
    }
  };

  /** Keys on a focused entry: Enter compares, F2 renames, Delete deletes, Space selects. */
  private _onKeyDown = (event: KeyboardEvent): void => {
    const target = event.target as HTMLElement;
    if (!target.classList.contains('jp-mltrack-checkpoint')) {
      return;
    }
    const id = target.dataset.id as string;
    const keys: Record<string, () => void> = {
      Enter: () =>
        void this._commands.execute(CommandIDs.compareCurrent, { id }),
      F2: () => this.edit(id, 'name'),
      Delete: () => void this._commands.execute(CommandIDs.remove, { id }),
      ' ': () => this.history.toggleSelected(id),
      ArrowDown: () =>
        (target.nextElementSibling as HTMLElement | null)?.focus(),
      ArrowUp: () =>
        (target.previousElementSibling as HTMLElement | null)?.focus()
    };
    const action = keys[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  };

  private _menu(id: string): Menu {
    const menu = new Menu({ commands: this._commands });
    menu.addClass('jp-mltrack-menu');
    for (const command of MORE_COMMANDS) {
      menu.addItem({ command, args: { id } });
    }
    menu.aboutToClose.connect(() => {
      requestAnimationFrame(() => menu.dispose());
    });
    return menu;
  }

  private _commands: CommandRegistry;
  private _trans: TranslationBundle;
  private _saveEdit: HistorySidebar.IOptions['saveEdit'];
  private _editing: string | null = null;
  private _clock = 0;
  private _searchTimer = 0;
  private _checkpoint: HTMLButtonElement;
  private _compare: HTMLButtonElement;
  private _search: HTMLInputElement;
  private _all: ICheckbox;
  private _saves: ICheckbox;
  private _following: HTMLElement;
  private _timeline: TimelineScrubber;
  private _list: HTMLUListElement;
  private _empty: HTMLElement;
  private _historyError: HTMLElement;
  private _more: HTMLButtonElement;
  private _store: HTMLElement;
  private _revision: HTMLElement;
  private _status: HTMLElement;
  private _retry: HTMLButtonElement;
}

interface ICheckbox {
  label: HTMLLabelElement;
  input: HTMLInputElement;
}

function iconButton(
  label: string,
  icon: { element: (o: { tag: 'span' }) => HTMLElement }
): HTMLButtonElement {
  const node = el('button', 'jp-mltrack-button jp-mod-styled');
  node.type = 'button';
  node.append(icon.element({ tag: 'span' }), el('span', '', label));
  return node;
}

function checkbox(
  text: string,
  className: string,
  onChange: (checked: boolean) => void
): ICheckbox {
  const label = el('label', `jp-mltrack-toggle ${className}`);
  const input = el('input', '');
  input.type = 'checkbox';
  input.addEventListener('change', () => onChange(input.checked));
  label.append(input, document.createTextNode(text));
  return { label, input };
}

/** Append a `<dt>label</dt><dd class=valueClass>` pair and return the `<dd>`. */
function field(
  list: HTMLElement,
  label: string,
  valueClass: string
): HTMLElement {
  list.appendChild(el('dt', 'jp-mltrack-label', label));
  return list.appendChild(el('dd', valueClass));
}
