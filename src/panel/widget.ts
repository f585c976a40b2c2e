/**
 * The ML Track sidebar: store information now, checkpoint history and runs later.
 * Text only goes through `textContent`; the layout lives in `style/base.css`.
 */
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { mltrackIcon } from '../icons';
import { SIDEBAR_ID } from '../tokens';
import { SidebarModel } from './model';

export class MLTrackSidebar extends Widget {
  constructor(model: SidebarModel) {
    super();
    this.model = model;
    this.id = SIDEBAR_ID;
    this.addClass('jp-mltrack-sidebar');
    this.title.icon = mltrackIcon;
    this.title.caption = 'ML Track';

    const header = Private.element('h2', 'jp-mltrack-header', 'ML Track');

    const store = Private.element('section', 'jp-mltrack-section');
    store.appendChild(
      Private.element('h3', 'jp-mltrack-section-title', 'Store')
    );
    const fields = Private.element('dl', 'jp-mltrack-fields');
    this._store = Private.field(fields, 'URL', 'jp-mltrack-store');
    this._revision = Private.field(
      fields,
      'Schema',
      'jp-mltrack-schema-revision'
    );
    store.appendChild(fields);
    this._status = Private.element('p', 'jp-mltrack-status');
    store.appendChild(this._status);

    this._retry = Private.element(
      'button',
      'jp-mltrack-retry jp-mod-styled',
      'Retry'
    );
    this._retry.addEventListener('click', () => void this.model.refresh());

    this._empty = Private.element('p', 'jp-mltrack-empty');

    this.node.append(header, store, this._retry, this._empty);
    this.model.changed.connect(this._render, this);
    this._render();
  }

  readonly model: SidebarModel;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.changed.disconnect(this._render, this);
    super.dispose();
  }

  /** Fetch on first show, and again whenever the panel is reopened after a failure. */
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (this.model.status === 'idle' || this.model.status === 'error') {
      void this.model.refresh();
    }
  }

  private _render(): void {
    const { status } = this.model;
    this._store.textContent = this.model.storeUrl || '—';
    this._store.title = this.model.storeUrl;
    this._revision.textContent = this.model.schemaRevision || '—';
    this._status.textContent = this.model.statusText;
    this._status.classList.toggle('jp-mltrack-error', status === 'error');
    this._retry.hidden = status !== 'error';
    this._empty.textContent = this.model.emptyText;
    this._empty.hidden = !this.model.emptyText;
    this.node.dataset.status = status;
  }

  private _store: HTMLElement;
  private _revision: HTMLElement;
  private _status: HTMLElement;
  private _retry: HTMLButtonElement;
  private _empty: HTMLElement;
}

namespace Private {
  export function element<K extends keyof HTMLElementTagNameMap>(
    tag: K,
    className: string,
    text = ''
  ): HTMLElementTagNameMap[K] {
    const node = document.createElement(tag);
    node.className = className;
    node.textContent = text;
    return node;
  }

  /** Append a `<dt>label</dt><dd class=valueClass>` pair and return the `<dd>`. */
  export function field(
    list: HTMLElement,
    label: string,
    valueClass: string
  ): HTMLElement {
    list.appendChild(element('dt', 'jp-mltrack-label', label));
    return list.appendChild(element('dd', valueClass));
  }
}
