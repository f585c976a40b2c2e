/**
 * String and file series of the run view: console output (`monitoring/stdout`, `stderr` and
 * any string series) as text that grows while the run runs, and file series as an image
 * gallery with a step slider and downloads. Strings go in through `textContent`; images are served by the
 * files endpoint with `nosniff` and a sandboxing CSP.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { defaultTrans } from '../i18n';
import { fileURL, ISeries, ISeriesQuery } from '../runs/api';
import { formatValue } from '../runs/format';
import { el, formatBytes, isObject } from './sections';

type Fetch = (id: string, field: string, q: ISeriesQuery) => Promise<ISeries>;

/** Lines kept in a console block. */
const MAX_LINES = 2000;
/** Items a gallery's slider steps through (the newest). */
const GALLERY_ITEMS = 500;
/** Thumbnails under the slider (the newest). */
const THUMBNAILS = 24;

export class ConsoleBlock {
  constructor(runId: string, field: string, fetch: Fetch) {
    this._runId = runId;
    this._field = field;
    this._fetch = fetch;
    this.node = el('div', 'jp-mltrack-console');
    this.node.dataset.field = field;
    this.node.appendChild(el('div', 'jp-mltrack-console-title', field));
    this._pre = el('pre', 'jp-mltrack-console-text');
    this.node.appendChild(this._pre);
  }

  readonly node: HTMLElement;

  /** Load the last lines, or (`live`) only the ones after the last step seen. */
  async update(live = false): Promise<void> {
    const answer = await this._fetch(this._runId, this._field, {
      maxPoints: MAX_LINES,
      afterStep: live ? this._lastStep : null
    });
    const lines = answer.values.map(v => String(v ?? ''));
    for (const step of answer.steps) {
      if (
        typeof step === 'number' &&
        (this._lastStep === null || step > this._lastStep)
      ) {
        this._lastStep = step;
      }
    }
    if (!lines.length && live) {
      return;
    }
    const atBottom =
      this._pre.scrollTop + this._pre.clientHeight >=
      this._pre.scrollHeight - 4;
    this._lines = live ? this._lines.concat(lines) : lines;
    if (this._lines.length > MAX_LINES) {
      this._lines = this._lines.slice(-MAX_LINES);
    }
    this._pre.textContent = this._lines.join('\n');
    if (atBottom) {
      this._pre.scrollTop = this._pre.scrollHeight;
    }
  }

  private _runId: string;
  private _field: string;
  private _fetch: Fetch;
  private _pre: HTMLPreElement;
  private _lines: string[] = [];
  private _lastStep: number | null = null;
}

/**
 * A file series as a gallery: one item at a time, large, picked with a step slider (the
 * newest at first, and followed while the run adds more), and a strip of the newest
 * thumbnails to jump with.
 */
export class GalleryBlock {
  constructor(
    runId: string,
    field: string,
    fetch: Fetch,
    trans: TranslationBundle = defaultTrans()
  ) {
    this._runId = runId;
    this._field = field;
    this._fetch = fetch;
    this.node = el('div', 'jp-mltrack-gallery');
    this.node.dataset.field = field;
    this.node.appendChild(el('div', 'jp-mltrack-console-title', field));
    const bar = (this._bar = el('label', 'jp-mltrack-gallery-bar'));
    this._slider = el('input', 'jp-mltrack-gallery-slider');
    this._slider.type = 'range';
    this._slider.min = '0';
    this._slider.step = '1';
    this._slider.setAttribute('aria-label', trans.__('step of %1', field));
    this._stepLabel = el('span', 'jp-mltrack-gallery-step');
    bar.append(this._slider, this._stepLabel);
    this._slider.addEventListener('input', () =>
      this.select(Number(this._slider.value))
    );
    this._current = el('figure', 'jp-mltrack-gallery-item jp-mod-current');
    this._items = el('div', 'jp-mltrack-gallery-items');
    this.node.append(bar, this._current, this._items);
    this._trans = trans;
  }

  readonly node: HTMLElement;

  /** Items as fetched: step, position in the series, file metadata. */
  get items(): ReadonlyArray<IGalleryItem> {
    return this._list;
  }

  async update(): Promise<void> {
    const answer = await this._fetch(this._runId, this._field, {
      maxPoints: GALLERY_ITEMS
    });
    const key = answer.indices.join(',');
    if (key === this._shown) {
      return;
    }
    const following = this._selected >= this._list.length - 1;
    this._shown = key;
    this._list = answer.values.map((value, i) => ({
      index: answer.indices[i],
      step: answer.steps[i] ?? null,
      meta: isObject(value) ? value : {}
    }));
    this._slider.max = String(Math.max(0, this._list.length - 1));
    // One item needs no slider and no strip.
    this._bar.hidden = this._items.hidden = this._list.length < 2;
    this._items.replaceChildren(
      ...this._list.slice(-THUMBNAILS).map(item => {
        const thumb = this._figure(item, false);
        thumb.addEventListener('click', () =>
          this.select(this._list.indexOf(item))
        );
        return thumb;
      })
    );
    this.select(
      following
        ? this._list.length - 1
        : Math.min(this._selected, this._list.length - 1)
    );
  }

  /** Show item `position` (0: the oldest fetched) large, and move the slider there. */
  select(position: number): void {
    const item = this._list[position];
    this._selected = position;
    this._slider.value = String(position);
    if (!item) {
      this._current.replaceChildren();
      this._stepLabel.textContent = '';
      return;
    }
    this._stepLabel.textContent =
      item.step !== null
        ? this._trans.__('step %1', formatValue(item.step))
        : `#${item.index}`;
    this._current.replaceChildren(
      ...Array.from(this._figure(item, true).childNodes)
    );
    this._current.dataset.index = String(item.index);
    this._items
      .querySelectorAll('.jp-mltrack-gallery-item')
      .forEach(n =>
        n.classList.toggle(
          'jp-mod-selected',
          (n as HTMLElement).dataset.index === String(item.index)
        )
      );
  }

  private _figure(item: IGalleryItem, large: boolean): HTMLElement {
    const { index, meta } = item;
    const name = String(meta.name ?? `${this._field}[${index}]`);
    const figure = el('figure', 'jp-mltrack-gallery-item');
    figure.dataset.index = String(index);
    const mime = String(meta.mime ?? '');
    if (mime.startsWith('image/') && mime !== 'image/svg+xml') {
      const img = el('img');
      img.alt = name;
      img.loading = large ? 'eager' : 'lazy';
      img.src = fileURL(this._runId, this._field, { index });
      figure.appendChild(img);
    }
    if (large) {
      const caption = el('figcaption');
      const link = el('a', '', `#${index} ${name}`);
      link.href = fileURL(this._runId, this._field, { index, download: true });
      link.download = name;
      caption.append(
        link,
        el('span', '', ` ${formatBytes(Number(meta.size))}`)
      );
      figure.appendChild(caption);
    } else {
      figure.title = `#${index} ${name}`;
    }
    return figure;
  }

  private _runId: string;
  private _field: string;
  private _fetch: Fetch;
  private _trans: TranslationBundle;
  private _bar: HTMLElement;
  private _slider: HTMLInputElement;
  private _stepLabel: HTMLElement;
  private _current: HTMLElement;
  private _items: HTMLElement;
  private _list: IGalleryItem[] = [];
  private _selected = 0;
  private _shown = '';
}

export interface IGalleryItem {
  index: number;
  step: number | null;
  meta: Record<string, unknown>;
}
