/**
 * The points of one series as a chart holds them: loaded once downsampled by the server,
 * then extended by polling `after_step` while the run is running, so a live chart gets new
 * points within a second or two without reloading the whole series. When the appended raw
 * points outgrow the budget, the next poll reloads the series downsampled.
 */
import { XAxis } from '../charts/chart';
import { ISeries, ISeriesQuery } from '../runs/api';

export type SeriesFetch = (
  runId: string,
  field: string,
  query: ISeriesQuery
) => Promise<ISeries>;

export interface ISeriesFeedOptions {
  runId: string;
  field: string;
  fetch: SeriesFetch;
  /** Points asked of the server (about two per pixel of a wide chart). */
  maxPoints?: number;
  axis?: XAxis;
}

/** What a poll brings: points to append, or a full reload (`reset`). */
export interface IFeedUpdate {
  reset: boolean;
  x: number[];
  y: (number | null)[];
}

export class SeriesFeed {
  constructor(options: ISeriesFeedOptions) {
    this.runId = options.runId;
    this.field = options.field;
    this._fetch = options.fetch;
    this.maxPoints = options.maxPoints ?? 2000;
    this.axis = options.axis ?? 'step';
  }

  readonly runId: string;
  readonly field: string;
  readonly maxPoints: number;
  /** `relative`: seconds since the series' first point (runs started at different times). */
  axis: XAxis;
  x: number[] = [];
  y: (number | null)[] = [];
  /** Points stored on the server at the last answer. */
  count = 0;
  /** Highest step seen: the `after_step` of the next poll. */
  lastStep: number | null = null;

  /** (Re)load the whole series, downsampled. */
  async load(): Promise<IFeedUpdate> {
    const answer = await this._fetch(this.runId, this.field, {
      maxPoints: this.maxPoints,
      x: this.axis === 'step' ? 'step' : 'time'
    });
    this.x = [];
    this._origin = null;
    this.y = [];
    this.lastStep = null;
    this._appended = 0;
    this._take(answer);
    return { reset: true, x: this.x, y: this.y };
  }

  /** New points since the last answer (or a reload once too many were appended). */
  async poll(): Promise<IFeedUpdate> {
    if (this._appended > this.maxPoints) {
      return this.load();
    }
    const answer = await this._fetch(this.runId, this.field, {
      maxPoints: this.maxPoints,
      x: this.axis === 'step' ? 'step' : 'time',
      afterStep: this.lastStep
    });
    const before = this.x.length;
    this._take(answer);
    this._appended += this.x.length - before;
    return { reset: false, x: this.x.slice(before), y: this.y.slice(before) };
  }

  private _take(answer: ISeries): void {
    const xs = this.axis === 'step' ? answer.steps : answer.timestamps;
    if (this.axis === 'relative' && this._origin === null) {
      this._origin = xs.find((t): t is number => typeof t === 'number') ?? null;
    }
    const shift = this.axis === 'relative' ? (this._origin ?? 0) : 0;
    const last = this.x.length ? this.x[this.x.length - 1] : -Infinity;
    for (let i = 0; i < answer.values.length; i++) {
      const raw = xs[i];
      const x = typeof raw === 'number' ? raw - shift : null;
      const step = answer.steps[i];
      if (
        typeof step === 'number' &&
        (this.lastStep === null || step > this.lastStep)
      ) {
        this.lastStep = step;
      }
      if (typeof x !== 'number' || x < last) {
        continue; // no x (a null timestamp), or older than what the chart holds
      }
      const v = answer.values[i];
      this.x.push(x);
      this.y.push(typeof v === 'number' ? v : null);
    }
    this.count = Math.max(this.count, answer.count);
  }

  private _fetch: SeriesFetch;
  private _appended = 0;
  private _origin: number | null = null;
}
