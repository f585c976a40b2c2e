/**
 * A histogram as uPlot bars: one bar per bin, from its left edge to the next. The run view
 * shows one step of a histogram series at a time (a slider picks the step), so a redraw is a
 * `setData` of a few hundred bins.
 */
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import uPlot from 'uplot';

import { lineColor } from './chart';

const HEIGHT = 200;

export interface IBins {
  edges: number[];
  values: number[];
}

export class HistogramChart extends Widget {
  constructor(options: { title: string; xTitle: string; yTitle: string }) {
    super();
    this.addClass('jp-mltrack-chart');
    this.addClass('jp-mltrack-histogram-chart');
    this._options = options;
    this.node.dataset.xTitle = options.xTitle;
    this.node.dataset.yTitle = options.yTitle;
  }

  /** Draw `bins` (the chart keeps its axes while the step changes). */
  set bins(bins: IBins | null) {
    this._bins = bins;
    this.node.dataset.bins = String(bins?.values.length ?? 0);
    if (this._plot) {
      this._plot.setData(this._data(), true);
    } else {
      this._rebuild();
    }
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

  /** x: the left edges and, last, the right edge of the last bin (a zero bar there). */
  private _data(): uPlot.AlignedData {
    const bins = this._bins;
    if (!bins || !bins.values.length) {
      return [[], []];
    }
    return [bins.edges, [...bins.values, null]] as unknown as uPlot.AlignedData;
  }

  private _rebuild(): void {
    this._plot?.destroy();
    this._plot = null;
    if (!this.isAttached || !this._bins) {
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
    const color = lineColor(0);
    this._plot = new uPlot(
      {
        title: this._options.title,
        width: this._width(),
        height: HEIGHT,
        // Bars stand on zero.
        scales: {
          x: { time: false },
          y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.05 : 1] }
        },
        axes: [
          { ...axis, label: this._options.xTitle, labelSize: 20 },
          { ...axis, size: 60, label: this._options.yTitle, labelSize: 20 }
        ],
        legend: { live: true },
        series: [
          { label: this._options.xTitle },
          {
            label: this._options.yTitle,
            stroke: color,
            fill: color + '99',
            width: 1,
            paths: uPlot.paths.bars!({ size: [1, Infinity], align: 1 }),
            points: { show: false }
          }
        ]
      },
      this._data(),
      this.node
    );
  }

  private _options: { title: string; xTitle: string; yTitle: string };
  private _bins: IBins | null = null;
  private _plot: uPlot | null = null;
  private _observer: ResizeObserver | null = null;
}
