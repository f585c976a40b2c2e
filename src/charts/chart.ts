/**
 * The one place the runs UI touches the charting library: a Lumino widget around a uPlot
 * line chart. uPlot draws on a canvas with no per-point DOM, so a chart of several 100,000-
 * point lines redraws in milliseconds; the server downsamples anyway (min/max per bucket).
 * Lines with different x values are aligned with `uPlot.join` and drawn across the gaps.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import uPlot from 'uplot';

import { defaultTrans } from '../i18n';
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
  /** Words of the x axis legend. */
  trans?: TranslationBundle;
}

export class LineChart extends Widget {
  constructor(options: ILineChartOptions) {
    super();
    this.addClass('jp-mltrack-chart');
    this._title = options.title;
    this._xAxis = options.xAxis ?? 'step';
    this._smoothing = options.smoothing ?? 0;
    this._trans = options.trans ?? defaultTrans();
    this.node.dataset.field = options.title;
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
      this._rebuild();
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
    if (this._plot && labels === this._labels) {
      this._redraw();
    } else {
      this._labels = labels;
      this._rebuild();
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

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._observer = new ResizeObserver(() => {
      const width = this._width();
      if (this._plot && width !== this._plot.width) {
        this._plot.setSize({ width, height: HEIGHT });
      }
    });
    this._observer.observe(this.node);
    if (!this._plot) {
      this._rebuild();
    }
  }

  protected onBeforeDetach(msg: Message): void {
    this._observer?.disconnect();
    this._observer = null;
    super.onBeforeDetach(msg);
  }

  dispose(): void {
    this._observer?.disconnect();
    this._plot?.destroy();
    this._plot = null;
    super.dispose();
  }

  private _width(): number {
    return Math.max(200, this.node.clientWidth || 400);
  }

  private _data(): uPlot.AlignedData {
    const tables = this._lines.map(
      line =>
        [
          line.x,
          smooth(line.y, this._smoothing)
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
    if (!this._plot) {
      this._rebuild();
      return;
    }
    this._started = performance.now();
    this._plot.setData(this._data());
  }

  private _rebuild(): void {
    this._plot?.destroy();
    this._plot = null;
    if (!this.isAttached) {
      return;
    }
    const style = getComputedStyle(this.node);
    const ink = style.getPropertyValue('--jp-ui-font-color2').trim() || '#555';
    const grid = style.getPropertyValue('--jp-border-color2').trim() || '#ddd';
    const axis = {
      stroke: ink,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid }
    };
    const opts: uPlot.Options = {
      title: this._title,
      width: this._width(),
      height: HEIGHT,
      scales: { x: { time: this._xAxis === 'time' } },
      axes: [axis, { ...axis, size: 60 }],
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
    this._plot = new uPlot(opts, this._data(), this.node);
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
  private _xAxis: XAxis;
  private _smoothing: number;
  private _lines: ILine[] = [];
  private _labels = '';
  private _plot: uPlot | null = null;
  private _observer: ResizeObserver | null = null;
  private _started = 0;
  private _lastDrawMs = 0;
}
