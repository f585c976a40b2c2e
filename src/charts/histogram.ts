/**
 * A histogram as uPlot bars: one bar per bin, from its left edge to the next. The run view
 * shows one step of a histogram series at a time (a slider picks the step), so a redraw is a
 * `setData` of a few hundred bins.
 */
import uPlot from 'uplot';

import { lineColor } from './chart';
import { PlotWidget } from './plot';

const HEIGHT = 200;

export interface IBins {
  edges: number[];
  values: number[];
}

export class HistogramChart extends PlotWidget {
  constructor(options: { title: string; xTitle: string; yTitle: string }) {
    super(HEIGHT);
    this.addClass('jp-mltrack-histogram-chart');
    this._options = options;
    this.node.dataset.xTitle = options.xTitle;
    this.node.dataset.yTitle = options.yTitle;
  }

  /** Draw `bins` (the chart keeps its axes while the step changes). */
  set bins(bins: IBins | null) {
    this._bins = bins;
    this.node.dataset.bins = String(bins?.values.length ?? 0);
    if (this.plot) {
      this.plot.setData(this._data(), true);
    } else {
      this.rebuild();
    }
  }

  /** x: the left edges and, last, the right edge of the last bin (a zero bar there). */
  private _data(): uPlot.AlignedData {
    const bins = this._bins;
    if (!bins || !bins.values.length) {
      return [[], []];
    }
    return [bins.edges, [...bins.values, null]] as unknown as uPlot.AlignedData;
  }

  protected rebuild(): void {
    this.destroyPlot();
    if (!this.isAttached || !this._bins) {
      return;
    }
    const color = lineColor(0);
    this.plot = new uPlot(
      {
        title: this._options.title,
        width: this.plotWidth(),
        height: HEIGHT,
        // Bars stand on zero.
        scales: {
          x: { time: false },
          y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.05 : 1] }
        },
        axes: this.axes({
          x: this._options.xTitle,
          y: this._options.yTitle
        }),
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
}
