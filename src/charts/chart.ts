/**
 * The one place the runs UI touches the charting library: a Lumino widget around a uPlot
 * line chart. uPlot draws on a canvas with no per-point DOM, so a chart of several 100,000-
 * point lines redraws in milliseconds; the server downsamples anyway (min/max per bucket).
 * Lines with different x values are aligned with `uPlot.join` and drawn across the gaps.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import uPlot from 'uplot';

import { defaultTrans } from '../i18n';
import { PlotWidget } from './plot';
import { smooth } from './smooth';

/** One line: its label and its points (x ascending). */
export interface ILine {
  label: string;
  x: number[];
  y: (number | null)[];
}

/** Steps, wall-clock time, or seconds since each line's first point. */
export type XAxis = 'step' | 'time' | 'relative';

const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf'
];
const HEIGHT = 220;

export function lineColor(index: number): string {
  return PALETTE[index % PALETTE.length];
}

export interface ILineChartOptions {
  title: string;
  xAxis?: XAxis;
  smoothing?: number;
  /** The y axis title: the series path (default: `title`), with its unit if known. */
  yTitle?: string;
  unit?: string;
  /** A log10 y scale (non-positive values are left out). */
  log?: boolean;
  /** Words of the x axis legend. */
  trans?: TranslationBundle;
}

/**
 * A dashed vertical line at `x`, labelled on each side (a fork's step: its parent's points
 * end there, its own begin).
 */
export interface IMarker {
  x: number;
  /** Written left of the line. */
  label: string;
  /** Written right of the line. */
  after?: string;
}

export class LineChart extends PlotWidget {
  constructor(options: ILineChartOptions) {
    super(HEIGHT);
    this._title = options.title;
    this._xAxis = options.xAxis ?? 'step';
    this._smoothing = options.smoothing ?? 0;
    this._trans = options.trans ?? defaultTrans();
    this._unit = options.unit ?? '';
    this._yTitle =
      (options.yTitle ?? options.title) +
      (this._unit ? ` (${this._unit})` : '');
    this._log = options.log ?? false;
    this.node.dataset.field = options.title;
    this._setTitles();
  }

  /** The axis titles as drawn (the canvas holds them; these attributes say them). */
  get axisTitles(): { x: string; y: string } {
    return { x: this._xLabel(), y: this._yTitle };
  }

  set log(on: boolean) {
    if (on !== this._log) {
      this._log = on;
      this._setTitles();
      this.rebuild();
    }
  }

  /** Mark an x value (or none). Redrawn with every axis; only `step` axes show it. */
  set marker(marker: IMarker | null) {
    this._marker = marker;
    this.node.dataset.marker = marker ? String(marker.x) : '';
    this.plot?.redraw(false, false);
  }

  /** Milliseconds the last draw took (setData to the draw hook), for the browser tests. */
  get lastDrawMs(): number {
    return this._lastDrawMs;
  }

  get lines(): ILine[] {
    return this._lines;
  }

  set xAxis(axis: XAxis) {
    if (axis !== this._xAxis) {
      this._xAxis = axis;
      this._setTitles();
      this.rebuild();
    }
  }

  set smoothing(weight: number) {
    if (weight !== this._smoothing) {
      this._smoothing = weight;
      this._redraw();
    }
  }

  /** Replace every line. */
  setLines(lines: ILine[]): void {
    const labels = lines.map(l => l.label).join('\u0000');
    this._lines = lines;
    if (this.plot && labels === this._labels) {
      this._redraw();
    } else {
      this._labels = labels;
      this.rebuild();
    }
  }

  /** Add points to the end of line `index` (live updates), then redraw. */
  append(index: number, x: number[], y: (number | null)[]): void {
    const line = this._lines[index];
    if (!line || x.length === 0) {
      return;
    }
    const last = line.x.length ? line.x[line.x.length - 1] : -Infinity;
    for (let i = 0; i < x.length; i++) {
      if (x[i] > last) {
        line.x.push(x[i]);
        line.y.push(y[i]);
      }
    }
    this._redraw();
  }

  private _data(): uPlot.AlignedData {
    const tables = this._lines.map(
      line =>
        [
          line.x,
          positive(smooth(line.y, this._smoothing), this._log)
        ] as unknown as uPlot.AlignedData
    );
    if (tables.length === 0) {
      return [[]];
    }
    if (tables.length === 1) {
      return tables[0];
    }
    return uPlot.join(tables);
  }

  private _redraw(): void {
    if (!this.plot) {
      this.rebuild();
      return;
    }
    this._started = performance.now();
    this.plot.setData(this._data());
  }

  protected rebuild(): void {
    this.destroyPlot();
    if (!this.isAttached) {
      return;
    }
    const opts: uPlot.Options = {
      title: this._title,
      width: this.plotWidth(),
      height: HEIGHT,
      scales: {
        x: { time: this._xAxis === 'time' },
        y: this._log ? { distr: 3 } : {}
      },
      axes: this.axes({ x: this._xLabel(), y: this._yTitle }),
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      series: [
        { label: this._xLabel() },
        ...this._lines.map((line, i) => ({
          label: line.label,
          stroke: lineColor(i),
          width: 1.25,
          spanGaps: true,
          points: { show: false }
        }))
      ],
      hooks: {
        draw: [
          u => this._drawMarker(u),
          () => {
            this._lastDrawMs = performance.now() - this._started;
            this.node.dataset.drawMs = this._lastDrawMs.toFixed(1);
            this.node.dataset.points = String(
              this._lines.reduce((n, l) => n + l.x.length, 0)
            );
          }
        ]
      }
    };
    this._started = performance.now();
    this.plot = new uPlot(opts, this._data(), this.node);
  }

  private _setTitles(): void {
    this.node.dataset.xTitle = this._xLabel();
    this.node.dataset.yTitle = this._yTitle;
    this.node.dataset.log = this._log ? '1' : '';
  }

  private _drawMarker(u: uPlot): void {
    const marker = this._marker;
    if (!marker || this._xAxis !== 'step') {
      return;
    }
    const x = Math.round(u.valToPos(marker.x, 'x', true));
    const { left, top, width, height } = u.bbox;
    if (x < left || x > left + width) {
      return;
    }
    const ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = '#888';
    ctx.setLineDash([4, 4]);
    ctx.lineWidth = devicePixelRatio;
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
    ctx.fillStyle = '#888';
    ctx.font = `${11 * devicePixelRatio}px sans-serif`;
    ctx.textBaseline = 'top';
    const y = top + 4 * devicePixelRatio;
    ctx.textAlign = 'right';
    ctx.fillText(marker.label, x - 4 * devicePixelRatio, y);
    if (marker.after) {
      ctx.textAlign = 'left';
      ctx.fillText(marker.after, x + 4 * devicePixelRatio, y);
    }
    ctx.restore();
  }

  /** Legend of the x values: steps, time, or seconds from the start. */
  private _xLabel(): string {
    switch (this._xAxis) {
      case 'relative':
        return this._trans.__('seconds');
      case 'time':
        return this._trans.__('time');
      default:
        return this._trans.__('step');
    }
  }

  private _trans: TranslationBundle;
  private _title: string;
  private _yTitle: string;
  private _unit: string;
  private _log: boolean;
  private _marker: IMarker | null = null;
  private _xAxis: XAxis;
  private _smoothing: number;
  private _lines: ILine[] = [];
  private _labels = '';
  private _started = 0;
  private _lastDrawMs = 0;
}

/** On a log scale, values that are not above zero have no place: gaps. */
function positive(values: (number | null)[], log: boolean): (number | null)[] {
  return log ? values.map(v => (v !== null && v > 0 ? v : null)) : values;
}
