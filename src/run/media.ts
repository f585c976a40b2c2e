/**
 * String and file series of the run view: console output (`monitoring/stdout`, `stderr` and
 * any string series) as text that grows while the run runs, and file series as an image
 * gallery with downloads. Strings go in through `textContent`; images are served by the
 * files endpoint with `nosniff` and a sandboxing CSP.
 */
import { fileURL, ISeries, ISeriesQuery } from '../runs/api';
import { el, formatBytes, isObject } from './sections';

type Fetch = (id: string, field: string, q: ISeriesQuery) => Promise<ISeries>;

/** Lines kept in a console block. */
const MAX_LINES = 2000;
/** Items shown in a gallery (the newest). */
const GALLERY_ITEMS = 48;

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

export class GalleryBlock {
  constructor(runId: string, field: string, fetch: Fetch) {
    this._runId = runId;
    this._field = field;
    this._fetch = fetch;
    this.node = el('div', 'jp-mltrack-gallery');
    this.node.dataset.field = field;
    this.node.appendChild(el('div', 'jp-mltrack-console-title', field));
    this._items = el('div', 'jp-mltrack-gallery-items');
    this.node.appendChild(this._items);
  }

  readonly node: HTMLElement;

  async update(): Promise<void> {
    const answer = await this._fetch(this._runId, this._field, {
      maxPoints: GALLERY_ITEMS
    });
    const key = answer.indices.join(',');
    if (key === this._shown) {
      return;
    }
    this._shown = key;
    this._items.replaceChildren(
      ...answer.values.map((value, i) => {
        const index = answer.indices[i];
        const meta = isObject(value) ? value : {};
        const name = String(meta.name ?? `${this._field}[${index}]`);
        const figure = el('figure', 'jp-mltrack-gallery-item');
        const mime = String(meta.mime ?? '');
        if (mime.startsWith('image/') && mime !== 'image/svg+xml') {
          const img = el('img');
          img.alt = name;
          img.src = fileURL(this._runId, this._field, { index });
          figure.appendChild(img);
        }
        const caption = el('figcaption');
        const link = el('a', '', `#${index} ${name}`);
        link.href = fileURL(this._runId, this._field, {
          index,
          download: true
        });
        link.download = name;
        caption.append(
          link,
          el('span', '', ` ${formatBytes(Number(meta.size))}`)
        );
        figure.appendChild(caption);
        return figure;
      })
    );
  }

  private _runId: string;
  private _field: string;
  private _fetch: Fetch;
  private _items: HTMLElement;
  private _shown = '';
}
