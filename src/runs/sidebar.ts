/**
 * A small left-area section: the runs of the active notebook (`sys/notebook_path`), newest
 * first, with their live state, refreshed every few seconds while visible.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { defaultTrans } from '../i18n';

import { IRunsPage, IRunsQuery } from './api';
import { formatCell } from './format';

export const RUNS_SIDEBAR_ID = 'mltrack-runs-sidebar';
const REFRESH_MS = 3000;
const SHOWN = 50;

export interface IRunsSidebarOptions {
  fetch: (query: IRunsQuery) => Promise<IRunsPage>;
  /**
   * Ids of the runs linked to the notebook's checkpoints (a run started in a notebook is
   * linked to the checkpoint taken when it started), newest first.
   */
  linkedRuns: (path: string) => Promise<string[]>;
  openRun: (id: string) => void;
  /** Open the run's notebook checkpoint (its end one, with results, else its start one). */
  openCheckpoint?: (id: string) => void | Promise<void>;
  openTable: (query: string) => void;
  trans?: TranslationBundle;
}

/** The query selecting one notebook's runs: by the notebook path recorded on the run, or
 * by id for the runs linked to its checkpoints. */
export function notebookQuery(path: string, ids: string[] = []): string {
  return [`sys/notebook_path = ${JSON.stringify(path)}`]
    .concat(ids.map(id => `sys/id = ${JSON.stringify(id)}`))
    .join(' OR ');
}

export class RunsSidebar extends Widget {
  constructor(options: IRunsSidebarOptions) {
    super();
    this._options = options;
    const trans = (this._trans = options.trans ?? defaultTrans());
    this.id = RUNS_SIDEBAR_ID;
    this.addClass('jp-mltrack-runs-sidebar');
    this.title.caption = trans.__('ML Track runs of this notebook');
    const header = document.createElement('h2');
    header.className = 'jp-mltrack-header';
    header.textContent = trans.__('Runs');
    this._path = document.createElement('div');
    this._path.className = 'jp-mltrack-runs-sidebar-path';
    this._list = document.createElement('ul');
    this._list.className = 'jp-mltrack-runs-sidebar-list';
    this._list.addEventListener('click', e => {
      const target = e.target as HTMLElement;
      const item = target.closest('li');
      if (!item?.dataset.id) {
        return;
      }
      if (target.closest('.jp-mltrack-run-notebook')) {
        void options.openCheckpoint?.(item.dataset.id);
      } else {
        options.openRun(item.dataset.id);
      }
    });
    const all = document.createElement('button');
    all.className = 'jp-mltrack-button jp-mltrack-open-table';
    all.textContent = trans.__('Open runs table');
    all.addEventListener('click', () =>
      options.openTable(
        this._notebook ? notebookQuery(this._notebook, this._linked) : ''
      )
    );
    this.node.append(header, this._path, this._list, all);
    this._timer = window.setInterval(() => {
      if (this.isVisible) {
        void this.refresh();
      }
    }, REFRESH_MS);
    this._render();
  }

  /** The notebook whose runs are listed (null: none open). */
  get notebook(): string | null {
    return this._notebook;
  }
  set notebook(path: string | null) {
    if (path !== this._notebook) {
      this._notebook = path;
      this._items = [];
      this._linked = [];
      this._render();
      void this.refresh();
    }
  }

  async refresh(): Promise<void> {
    const path = this._notebook;
    if (!path) {
      return;
    }
    try {
      const ids = await this._options.linkedRuns(path);
      const page = await this._options.fetch({
        query: notebookQuery(path, ids.slice(0, SHOWN)),
        limit: SHOWN
      });
      if (path === this._notebook) {
        this._linked = ids.slice(0, SHOWN);
        this._items = page.items.map(r => ({
          id: String(r['sys/id'] ?? ''),
          name: String(r['sys/name'] ?? ''),
          state: String(r['sys/state'] ?? ''),
          created: formatCell('sys/creation_time', r['sys/creation_time'])
        }));
        this._error = null;
        this._render();
      }
    } catch (reason) {
      this._error = reason instanceof Error ? reason.message : String(reason);
      this._render();
    }
  }

  private _render(): void {
    const trans = this._trans;
    this._path.textContent =
      this._notebook ?? trans.__('Open a notebook to see its runs.');
    if (this._error) {
      const li = document.createElement('li');
      li.className = 'jp-mltrack-error';
      li.textContent = this._error;
      this._list.replaceChildren(li);
      return;
    }
    if (this._notebook && this._items.length === 0) {
      const li = document.createElement('li');
      li.className = 'jp-mltrack-empty';
      li.textContent = trans.__('No runs from this notebook yet.');
      this._list.replaceChildren(li);
      return;
    }
    this._list.replaceChildren(
      ...this._items.map(run => {
        const li = document.createElement('li');
        li.className = 'jp-mltrack-runs-sidebar-item';
        li.dataset.id = run.id;
        li.title = trans.__('%1 %2, created %3', run.id, run.name, run.created);
        const id = document.createElement('span');
        id.className = 'jp-mltrack-run-id';
        id.textContent = run.id;
        const name = document.createElement('span');
        name.className = 'jp-mltrack-run-name';
        name.textContent = run.name;
        const state = document.createElement('span');
        state.className = 'jp-mltrack-state';
        state.dataset.state = run.state;
        state.textContent = run.state;
        li.append(id, name, state);
        if (this._options.openCheckpoint) {
          const notebook = document.createElement('button');
          notebook.type = 'button';
          notebook.className = 'jp-mltrack-run-notebook jp-mod-minimal';
          notebook.textContent = trans.__('notebook');
          notebook.title = trans.__(
            'Open the notebook of run %1 as it was checkpointed (with results once it ended)',
            run.id
          );
          li.appendChild(notebook);
        }
        return li;
      })
    );
  }

  dispose(): void {
    window.clearInterval(this._timer);
    super.dispose();
  }

  private _options: IRunsSidebarOptions;
  private _trans: TranslationBundle;
  private _notebook: string | null = null;
  private _items: {
    id: string;
    name: string;
    state: string;
    created: string;
  }[] = [];
  private _error: string | null = null;
  private _linked: string[] = [];
  private _path: HTMLElement;
  private _list: HTMLUListElement;
  private _timer: number;
}
