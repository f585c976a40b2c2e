/**
 * A text box completing field paths: the runs table's query box and its column picker.
 * Enter submits (or accepts the highlighted completion), Tab accepts, Escape closes.
 */
import { Widget } from '@lumino/widgets';

import { IFieldPath } from './api';
import {
  applyCompletion,
  complete,
  ICompletion,
  ICompletionResult
} from './complete';

export interface IQueryBoxOptions {
  placeholder: string;
  className: string;
  /** Field paths to complete (fetched lazily, cached by the caller). */
  paths: () => Promise<IFieldPath[]>;
  onSubmit: (text: string) => void;
  /** Clear the box after submitting (the column picker). */
  clearOnSubmit?: boolean;
}

export class QueryBox extends Widget {
  constructor(options: IQueryBoxOptions) {
    super();
    this._options = options;
    this.addClass('jp-mltrack-querybox');
    this.addClass(options.className);
    this.input = document.createElement('input');
    this.input.type = 'text';
    this.input.placeholder = options.placeholder;
    this.input.spellcheck = false;
    this.input.setAttribute('aria-label', options.placeholder);
    this.input.setAttribute('autocomplete', 'off');
    this._list = document.createElement('ul');
    this._list.className = 'jp-mltrack-completions';
    this._list.setAttribute('role', 'listbox');
    this._list.hidden = true;
    this.node.append(this.input, this._list);
    this.input.addEventListener('input', () => void this._update());
    this.input.addEventListener('keydown', e => this._onKey(e));
    this.input.addEventListener('blur', () => {
      // Let a click on a completion land before closing.
      setTimeout(() => this._close(), 150);
    });
    this._list.addEventListener('mousedown', e => {
      const li = (e.target as HTMLElement).closest('li');
      if (li) {
        e.preventDefault();
        this._accept(Number(li.dataset.index));
      }
    });
  }

  readonly input: HTMLInputElement;

  get value(): string {
    return this.input.value;
  }
  set value(text: string) {
    this.input.value = text;
  }

  /** Show an error under the box (a bad query's caret message), or clear it. */
  setError(message: string | null): void {
    this.toggleClass('jp-mod-error', !!message);
    this.input.title = message ?? '';
  }

  private async _update(): Promise<void> {
    const paths = await this._options.paths().catch(() => []);
    const cursor = this.input.selectionStart ?? this.input.value.length;
    const result = complete(this.input.value, cursor, paths, 30);
    const word = this.input.value.slice(result.from, cursor);
    if (!word || result.items.length === 0) {
      this._close();
      return;
    }
    this._result = result;
    this._active = 0;
    this._render();
  }

  private _render(): void {
    const items = this._result?.items ?? [];
    this._list.replaceChildren(
      ...items.map((item: ICompletion, index) => {
        const li = document.createElement('li');
        li.dataset.index = String(index);
        li.setAttribute('role', 'option');
        li.className = 'jp-mltrack-completion';
        li.classList.toggle('jp-mod-active', index === this._active);
        const text = document.createElement('span');
        text.textContent = item.text;
        const kind = document.createElement('span');
        kind.className = 'jp-mltrack-completion-kind';
        kind.textContent = item.kind;
        li.append(text, kind);
        return li;
      })
    );
    this._list.hidden = items.length === 0;
  }

  private _close(): void {
    this._result = null;
    this._list.hidden = true;
  }

  private _accept(index: number): void {
    const result = this._result;
    if (!result || !result.items[index]) {
      return;
    }
    const next = applyCompletion(this.input.value, result, result.items[index]);
    this.input.value = next.text;
    this.input.setSelectionRange(next.cursor, next.cursor);
    this.input.focus();
    this._close();
  }

  private _onKey(event: KeyboardEvent): void {
    const open = this._result !== null && !this._list.hidden;
    const count = this._result?.items.length ?? 0;
    if (open && (event.key === 'ArrowDown' || event.key === 'ArrowUp')) {
      event.preventDefault();
      const step = event.key === 'ArrowDown' ? 1 : -1;
      this._active = (this._active + step + count) % count;
      this._render();
    } else if (open && (event.key === 'Tab' || event.key === 'Enter')) {
      event.preventDefault();
      this._accept(this._active);
    } else if (event.key === 'Escape' && open) {
      event.preventDefault();
      this._close();
    } else if (event.key === 'Enter') {
      event.preventDefault();
      this._options.onSubmit(this.input.value);
      if (this._options.clearOnSubmit) {
        this.input.value = '';
      }
    }
  }

  private _options: IQueryBoxOptions;
  private _list: HTMLUListElement;
  private _result: ICompletionResult | null = null;
  private _active = 0;
}
