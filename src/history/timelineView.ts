/**
 * The timeline scrubber of the history sidebar (issue 17.5): a track with one stop per
 * checkpoint and two handles. Moving a handle (drag, click on the track, or the slider keys
 * when it has focus) shows that checkpoint read-only; "Compare" diffs the two handles;
 * "Restore" writes the shown checkpoint back onto the notebook, which the history records
 * as a new entry. The handles are WAI-ARIA sliders. State lives in `timeline.ts`.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { el } from '../dom';
import { defaultTrans } from '../i18n';
import { formatAbsolute } from '../time';
import { ICheckpoint } from '../tokens';
import { displayName } from './item';
import {
  Handle,
  keyStep,
  nearestStop,
  stopPercent,
  TimelineModel
} from './timeline';

/** Wait this long after the last move before opening a checkpoint (keys repeat fast). */
const SHOW_DELAY_MS = 200;

export namespace TimelineScrubber {
  export interface IOptions {
    model: TimelineModel;
    /** Show checkpoint `id` read-only. */
    show: (id: string) => void;
    /** Diff `base` (older) against `remote` (newer). */
    compare: (base: string, remote: string) => void;
    /** Write checkpoint `id` back onto its notebook (a new history entry). */
    restore: (id: string) => void;
    trans?: TranslationBundle;
  }
}

export class TimelineScrubber {
  constructor(options: TimelineScrubber.IOptions) {
    this.model = options.model;
    this._options = options;
    const trans = (this._trans = options.trans ?? defaultTrans());
    this.node = el('section', 'jp-mltrack-section jp-mltrack-timeline');
    this.node.setAttribute('aria-label', trans.__('Timeline'));
    const title = el('h3', 'jp-mltrack-section-title', trans.__('Timeline'));
    this._track = el('div', 'jp-mltrack-timeline-track');
    this._stops = el('div', 'jp-mltrack-timeline-stops');
    this._range = el('div', 'jp-mltrack-timeline-range');
    this._handles = {
      from: this._handle('from', trans.__('Compare from')),
      to: this._handle('to', trans.__('Show, and compare to'))
    };
    this._track.append(
      this._stops,
      this._range,
      this._handles.from,
      this._handles.to
    );
    this._track.addEventListener('pointerdown', this._onPointerDown);
    this._labels = {
      from: el('span', 'jp-mltrack-timeline-label', ''),
      to: el('span', 'jp-mltrack-timeline-label', '')
    };
    this._labels.from.dataset.handle = 'from';
    this._labels.to.dataset.handle = 'to';
    const labels = el('p', 'jp-mltrack-timeline-labels');
    labels.append(this._labels.from, el('span', '', '→'), this._labels.to);

    const actions = el('div', 'jp-mltrack-timeline-actions');
    this._compare = actionButton(
      trans.__('Compare'),
      trans.__('Diff the two handles (older on the left)')
    );
    this._compare.classList.add('jp-mltrack-timeline-compare');
    this._compare.addEventListener('click', () => {
      const pair = this.model.pair;
      if (pair) {
        this._options.compare(pair.base.id, pair.remote.id);
      }
    });
    this._restore = actionButton(
      trans.__('Restore…'),
      trans.__(
        'Write the shown checkpoint back onto the notebook; the history keeps a new entry'
      )
    );
    this._restore.classList.add('jp-mltrack-timeline-restore');
    this._restore.addEventListener('click', () => {
      const shown = this.model.at();
      if (shown) {
        this._options.restore(shown.id);
      }
    });
    actions.append(this._compare, this._restore);
    this.node.append(title, this._track, labels, actions);
    this.model.changed.connect(this.render, this);
    this.render();
  }

  readonly node: HTMLElement;
  readonly model: TimelineModel;

  /** Redraw stops, handles and labels from the model. */
  render(): void {
    const { stops } = this.model;
    const count = stops.length;
    this.node.hidden = count === 0;
    this.node.dataset.count = String(count);
    if (this._drawn !== stops) {
      this._drawn = stops;
      this._stops.replaceChildren(
        ...stops.map((entry, i) => {
          const stop = el('span', 'jp-mltrack-timeline-stop');
          stop.style.left = `${stopPercent(i, count)}%`;
          stop.dataset.trigger = String(entry.trigger);
          stop.title = this._describe(entry);
          return stop;
        })
      );
    }
    const percent = (h: Handle): number =>
      stopPercent(this.model.index(h), count);
    for (const h of ['from', 'to'] as Handle[]) {
      const node = this._handles[h];
      const entry = this.model.at(h);
      node.style.left = `${percent(h)}%`;
      node.setAttribute('aria-valuemax', String(Math.max(1, count)));
      node.setAttribute('aria-valuenow', String(this.model.index(h) + 1));
      node.setAttribute(
        'aria-valuetext',
        entry ? this._describe(entry) : this._trans.__('No checkpoint')
      );
      node.classList.toggle('jp-mod-active', this.model.active === h);
      node.dataset.id = entry?.id ?? '';
      this._labels[h].textContent = entry
        ? displayName(entry, this._trans)
        : '';
      this._labels[h].title = entry ? this._describe(entry) : '';
      this._labels[h].classList.toggle(
        'jp-mod-active',
        this.model.active === h
      );
    }
    const [lo, hi] = [percent('from'), percent('to')].sort((a, b) => a - b);
    this._range.style.left = `${lo}%`;
    this._range.style.width = `${hi - lo}%`;
    this._compare.disabled = this.model.pair === null;
    this._restore.disabled = count === 0;
  }

  dispose(): void {
    window.clearTimeout(this._showTimer);
    this.model.changed.disconnect(this.render, this);
  }

  private _describe(entry: ICheckpoint): string {
    return `${displayName(entry, this._trans)} · ${formatAbsolute(entry.created_at)}`;
  }

  private _handle(handle: Handle, label: string): HTMLElement {
    const node = el('div', 'jp-mltrack-timeline-handle');
    node.dataset.handle = handle;
    node.tabIndex = 0;
    node.setAttribute('role', 'slider');
    node.setAttribute('aria-label', label);
    node.setAttribute('aria-valuemin', '1');
    node.setAttribute('aria-orientation', 'horizontal');
    node.addEventListener('keydown', (event: KeyboardEvent) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        this.model.move(handle, this.model.index(handle));
        this._showSoon(0);
        return;
      }
      const next = keyStep(
        event.key,
        this.model.index(handle),
        this.model.stops.length
      );
      if (next === null) {
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      this._moveTo(handle, next);
    });
    return node;
  }

  private _moveTo(handle: Handle, index: number): void {
    if (this.model.move(handle, index)) {
      this._showSoon(SHOW_DELAY_MS);
    }
  }

  /** Show the active handle's checkpoint once the handle rests for `delay` ms. */
  private _showSoon(delay: number): void {
    window.clearTimeout(this._showTimer);
    this._showTimer = window.setTimeout(() => {
      const shown = this.model.at();
      if (shown) {
        this._options.show(shown.id);
      }
    }, delay);
  }

  private _indexAt(clientX: number): number {
    const rect = this._track.getBoundingClientRect();
    const fraction = rect.width > 0 ? (clientX - rect.left) / rect.width : 1;
    return nearestStop(fraction, this.model.stops.length);
  }

  private _onPointerDown = (event: PointerEvent): void => {
    if (event.button !== 0 || this.model.stops.length === 0) {
      return;
    }
    event.preventDefault();
    const target = event.target as HTMLElement;
    const index = this._indexAt(event.clientX);
    const handle =
      (target.dataset.handle as Handle | undefined) ??
      this.model.nearest(index);
    this._handles[handle].focus();
    this._moveTo(handle, index);
    const move = (e: PointerEvent): void =>
      this._moveTo(handle, this._indexAt(e.clientX));
    const up = (): void => {
      this._track.removeEventListener('pointermove', move);
      this._track.removeEventListener('pointerup', up);
      this._track.removeEventListener('pointercancel', up);
    };
    this._track.setPointerCapture?.(event.pointerId);
    this._track.addEventListener('pointermove', move);
    this._track.addEventListener('pointerup', up);
    this._track.addEventListener('pointercancel', up);
  };

  private _options: TimelineScrubber.IOptions;
  private _trans: TranslationBundle;
  private _track: HTMLElement;
  private _stops: HTMLElement;
  private _range: HTMLElement;
  private _handles: Record<Handle, HTMLElement>;
  private _labels: Record<Handle, HTMLElement>;
  private _compare: HTMLButtonElement;
  private _restore: HTMLButtonElement;
  private _drawn: readonly ICheckpoint[] | null = null;
  private _showTimer = 0;
}

function actionButton(label: string, caption: string): HTMLButtonElement {
  const node = el('button', 'jp-mltrack-button jp-mod-styled', label);
  node.type = 'button';
  node.title = caption;
  return node;
}
