/**
 * The timeline scrubber's state (issue 17.5, after CoCalc's TimeTravel): a notebook's
 * checkpoints oldest to newest, and two handles on them. The handle moved last is the one
 * shown read-only and restored; the two handles are the pair a diff compares. No DOM here,
 * so jest covers it whole; `timelineView.ts` draws it.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { ICheckpoint } from '../tokens';

export type Handle = 'from' | 'to';

/**
 * Where a key moves a handle at `index` of `count` stops, or null for a key the slider
 * leaves alone. The WAI-ARIA slider keys: arrows step, Page keys jump a tenth, Home/End.
 */
export function keyStep(
  key: string,
  index: number,
  count: number
): number | null {
  const last = Math.max(0, count - 1);
  const page = Math.max(1, Math.round(count / 10));
  const clamp = (i: number): number => Math.min(last, Math.max(0, i));
  switch (key) {
    case 'ArrowLeft':
    case 'ArrowDown':
      return clamp(index - 1);
    case 'ArrowRight':
    case 'ArrowUp':
      return clamp(index + 1);
    case 'PageDown':
      return clamp(index - page);
    case 'PageUp':
      return clamp(index + page);
    case 'Home':
      return 0;
    case 'End':
      return last;
    default:
      return null;
  }
}

/** Position of stop `index` of `count` along the track, in percent (one stop: the end). */
export function stopPercent(index: number, count: number): number {
  return count <= 1 ? 100 : (index / (count - 1)) * 100;
}

/** The stop nearest to `fraction` (0 = oldest, 1 = newest) of the track. */
export function nearestStop(fraction: number, count: number): number {
  if (count <= 1) {
    return 0;
  }
  const clamped = Math.min(1, Math.max(0, fraction));
  return Math.round(clamped * (count - 1));
}

export class TimelineModel {
  /** Emitted when the stops or a handle changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The checkpoints, oldest first. */
  get stops(): readonly ICheckpoint[] {
    return this._stops;
  }

  /** The handle moved last: the one whose checkpoint is shown. */
  get active(): Handle {
    return this._active;
  }

  index(handle: Handle): number {
    return handle === 'from' ? this._from : this._to;
  }

  /** The checkpoint under `handle` (the active one by default), or null without stops. */
  at(handle: Handle = this._active): ICheckpoint | null {
    return this._stops[this.index(handle)] ?? null;
  }

  /**
   * The history's items changed (newest first, as the list shows them). Handles stay on
   * their checkpoints when those are still listed; otherwise "to" goes to the newest and
   * "from" to the one before it, as a fresh timeline starts.
   */
  setItems(items: readonly ICheckpoint[]): void {
    // The server's order, reversed: checkpoints taken within one second keep theirs.
    const stops = [...items].reverse();
    const same =
      stops.length === this._stops.length &&
      stops.every((s, i) => s.id === this._stops[i].id);
    const fromId = this.at('from')?.id;
    const toId = this.at('to')?.id;
    this._stops = stops;
    const find = (id: string | undefined): number =>
      id === undefined ? -1 : stops.findIndex(s => s.id === id);
    const last = Math.max(0, stops.length - 1);
    const to = find(toId);
    const from = find(fromId);
    this._to = to >= 0 ? to : last;
    this._from = from >= 0 ? from : Math.max(0, this._to - 1);
    const pinned = find(this._pinned ?? undefined);
    if (pinned >= 0) {
      this._pinned = null;
      this._showAt(pinned);
      return; // `_showAt` emitted the change
    }
    if (!same || to < 0 || from < 0) {
      this._changed.emit();
    }
  }

  /**
   * Checkpoint `id` is shown in the preview tab (restored after a reload, or opened from a
   * link): the active handle goes onto it now, or once the stops include it. A move by the
   * user meanwhile wins.
   */
  showing(id: string): void {
    if (this.at()?.id === id) {
      this._pinned = null;
      return;
    }
    const index = this._stops.findIndex(s => s.id === id);
    if (index >= 0) {
      this._showAt(index);
    } else {
      this._pinned = id;
    }
  }

  /** The active handle onto `index`, the other one off it (a pair to compare). */
  private _showAt(index: number): void {
    const other: Handle = this._active === 'to' ? 'from' : 'to';
    if (this.index(other) === index) {
      const away = index > 0 ? index - 1 : index + 1;
      if (other === 'from') {
        this._from = Math.min(away, this._stops.length - 1);
      } else {
        this._to = Math.min(away, this._stops.length - 1);
      }
    }
    if (!this.move(this._active, index)) {
      this._changed.emit();
    }
  }

  /** Put `handle` on stop `index` (clamped) and make it the active one. */
  move(handle: Handle, index: number): boolean {
    const clamped = Math.min(
      Math.max(0, this._stops.length - 1),
      Math.max(0, Math.round(index))
    );
    this._pinned = null;
    const moved = clamped !== this.index(handle) || handle !== this._active;
    if (handle === 'from') {
      this._from = clamped;
    } else {
      this._to = clamped;
    }
    this._active = handle;
    if (moved) {
      this._changed.emit();
    }
    return moved;
  }

  /** The handle nearer to stop `index` (ties go to the active one). */
  nearest(index: number): Handle {
    const dFrom = Math.abs(index - this._from);
    const dTo = Math.abs(index - this._to);
    if (dFrom === dTo) {
      return this._active;
    }
    return dFrom < dTo ? 'from' : 'to';
  }

  /** The two handles' checkpoints as (older, newer), or null when both are on one stop. */
  get pair(): { base: ICheckpoint; remote: ICheckpoint } | null {
    if (this._from === this._to) {
      return null;
    }
    const [a, b] = [this._from, this._to].sort((x, y) => x - y);
    return { base: this._stops[a], remote: this._stops[b] };
  }

  private _stops: ICheckpoint[] = [];
  private _from = 0;
  private _to = 0;
  private _active: Handle = 'to';
  /** A checkpoint the preview shows that the stops do not hold yet (`showing`). */
  private _pinned: string | null = null;
  private _changed = new Signal<this, void>(this);
}
