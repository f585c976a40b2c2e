/**
 * What every uPlot chart widget shares: the canvas follows the widget's width (a
 * ResizeObserver while attached), the plot is built once the widget is attached (uPlot
 * measures its node) and destroyed with it, and the axes take the theme's colours. The line
 * chart and the histogram differ only in how they build their plot (`rebuild`).
 */
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import uPlot from 'uplot';

/** A uPlot chart in a Lumino widget; subclasses build the plot in `rebuild`. */
export abstract class PlotWidget extends Widget {
  /** `height`: the canvas height in pixels (the width follows the widget). */
  constructor(height: number) {
    super();
    this.addClass('jp-mltrack-chart');
    this.height = height;
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._observer = new ResizeObserver(() => {
      const width = this.plotWidth();
      if (this.plot && width !== this.plot.width) {
        this.plot.setSize({ width, height: this.height });
      }
    });
    this._observer.observe(this.node);
    if (!this.plot) {
      this.rebuild();
    }
  }

  protected onBeforeDetach(msg: Message): void {
    this._observer?.disconnect();
    this._observer = null;
    super.onBeforeDetach(msg);
  }

  dispose(): void {
    this._observer?.disconnect();
    this.destroyPlot();
    super.dispose();
  }

  /** Build the plot again (a detached widget builds it when attached). */
  protected abstract rebuild(): void;

  /** Drop the plot; `rebuild` starts with this. */
  protected destroyPlot(): void {
    this.plot?.destroy();
    this.plot = null;
  }

  /** The canvas width: the widget's, at least 200 (400 before the first layout). */
  protected plotWidth(): number {
    return Math.max(200, this.node.clientWidth || 400);
  }

  /** x and y axes in the theme's colours: `labels` are their titles. */
  protected axes(labels: { x: string; y: string }): uPlot.Axis[] {
    const style = getComputedStyle(this.node);
    const ink = style.getPropertyValue('--jp-ui-font-color2').trim() || '#555';
    const grid = style.getPropertyValue('--jp-border-color2').trim() || '#ddd';
    const axis = {
      stroke: ink,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid }
    };
    return [
      { ...axis, label: labels.x, labelSize: 20 },
      { ...axis, size: 60, label: labels.y, labelSize: 20 }
    ];
  }

  protected readonly height: number;
  protected plot: uPlot | null = null;
  private _observer: ResizeObserver | null = null;
}
