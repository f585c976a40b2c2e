/**
 * Compare's parallel-coordinates plot, drawn as SVG of our own: uPlot draws x/y series and
 * has no parallel axes, and a handful of runs needs no canvas. One vertical axis per varying
 * parameter and one for the metric picked above the plot; one line per run, coloured by
 * the metric on the viridis ramp (legend below). A click on a line opens the run. Strings
 * from the store go in through `textContent`.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { el } from '../dom';
import { defaultTrans } from '../i18n';
import { IRunDetail } from '../runs/api';
import {
  IParallelData,
  metricColor,
  NO_METRIC_COLOR,
  parallelData
} from './parallel';

const SVG = 'http://www.w3.org/2000/svg';
const HEIGHT = 280;
const TOP = 44;
const BOTTOM = 24;
const SIDE = 70;
const GAP = 140;
/** Category ticks written on an axis; more are left unlabelled. */
const MAX_LABELS = 12;

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  className = ''
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    node.setAttribute(key, String(value));
  }
  if (className) {
    node.setAttribute('class', className);
  }
  return node;
}

function shorten(text: string, max = 22): string {
  return text.length > max ? '…' + text.slice(text.length - max + 1) : text;
}

export interface IParallelOptions {
  runs: IRunDetail[];
  /** Run names by id, for each line's tooltip. */
  labels: Map<string, string>;
  openRun: (id: string) => void;
  /** The metric chosen before (a restored tab's); default: the usual choice. */
  metric?: string;
  /** The user picked another metric. */
  onMetric?: (metric: string) => void;
  trans?: TranslationBundle;
}

/** The plot's section: the metric picker, the SVG and the colour legend. */
export class ParallelPlot {
  constructor(options: IParallelOptions) {
    this._options = options;
    const trans = (this._trans = options.trans ?? defaultTrans());
    this.node = el('section', 'jp-mltrack-run-section jp-mltrack-parallel');
    this.node.appendChild(
      el(
        'h3',
        'jp-mltrack-section-title',
        trans.__('Parameters against a metric')
      )
    );
    this._data = parallelData(options.runs, options.metric);
    const bar = el('div', 'jp-mltrack-parallel-bar');
    this._select = el('select', 'jp-mltrack-parallel-metric');
    this._select.setAttribute('aria-label', trans.__('Metric'));
    for (const metric of this._data.metrics) {
      const option = el('option', '', metric);
      option.value = metric;
      this._select.appendChild(option);
    }
    this._select.value = this._data.metric;
    this._select.addEventListener('change', () => {
      this._data = parallelData(options.runs, this._select.value);
      this._draw();
      options.onMetric?.(this._data.metric);
    });
    const label = el('label', '', trans.__('Colour by') + ' ');
    label.appendChild(this._select);
    bar.appendChild(label);
    this._plot = el('div', 'jp-mltrack-parallel-plot');
    this._legend = el('div', 'jp-mltrack-parallel-legend');
    this.node.append(bar, this._plot, this._legend);
    this._draw();
  }

  readonly node: HTMLElement;

  /** What is drawn (for tests and the legend). */
  get data(): IParallelData {
    return this._data;
  }

  private _draw(): void {
    const trans = this._trans;
    const data = this._data;
    if (data.axes.length < 2) {
      this._plot.replaceChildren(
        el(
          'p',
          'jp-mltrack-muted',
          trans.__(
            'Parallel coordinates need at least one parameter and a metric.'
          )
        )
      );
      this._legend.replaceChildren();
      return;
    }
    const width = SIDE * 2 + GAP * (data.axes.length - 1);
    const root = svg('svg', {
      viewBox: `0 0 ${width} ${HEIGHT}`,
      width,
      height: HEIGHT,
      role: 'img'
    });
    root.setAttribute(
      'aria-label',
      trans.__('Parameters against %1', data.metric)
    );
    const x = (i: number): number => SIDE + i * GAP;
    const y = (at: number): number =>
      HEIGHT - BOTTOM - at * (HEIGHT - TOP - BOTTOM);

    const lines = svg('g', {}, 'jp-mltrack-parallel-lines');
    data.lines.forEach(line => {
      let d = '';
      let pen = false;
      line.positions.forEach((at, i) => {
        if (at === null) {
          pen = false;
          return;
        }
        d += `${pen ? 'L' : 'M'}${x(i)} ${y(at).toFixed(1)} `;
        pen = true;
      });
      const path = svg(
        'path',
        { d: d.trim(), stroke: line.color, fill: 'none' },
        'jp-mltrack-parallel-line'
      );
      path.dataset.run = line.runId;
      const title = svg('title', {});
      title.textContent = `${line.runId} ${this._options.labels.get(line.runId) ?? ''}`;
      path.appendChild(title);
      path.addEventListener('click', () => this._options.openRun(line.runId));
      lines.appendChild(path);
    });

    const axes = svg('g', {}, 'jp-mltrack-parallel-axes');
    data.axes.forEach((axis, i) => {
      const g = svg('g', {}, 'jp-mltrack-parallel-axis');
      g.dataset.path = axis.path;
      g.dataset.kind = axis.kind;
      g.classList.toggle('jp-mod-metric', i === data.axes.length - 1);
      g.appendChild(
        svg(
          'line',
          { x1: x(i), x2: x(i), y1: y(0), y2: y(1) },
          'jp-mltrack-parallel-rule'
        )
      );
      const name = svg(
        'text',
        { x: x(i), y: TOP - 22, 'text-anchor': 'middle' },
        'jp-mltrack-parallel-name'
      );
      name.textContent = shorten(axis.path);
      const full = svg('title', {});
      full.textContent = axis.log
        ? trans.__('%1 (log scale)', axis.path)
        : axis.path;
      name.appendChild(full);
      g.appendChild(name);
      if (axis.log) {
        const scale = svg(
          'text',
          { x: x(i), y: TOP - 8, 'text-anchor': 'middle' },
          'jp-mltrack-parallel-scale'
        );
        scale.textContent = trans.__('log');
        g.appendChild(scale);
      }
      const labelled =
        axis.ticks.length <= MAX_LABELS
          ? axis.ticks
          : axis.ticks.filter(
              (_, k) => k % Math.ceil(axis.ticks.length / MAX_LABELS) === 0
            );
      for (const tick of labelled) {
        g.appendChild(
          svg(
            'line',
            { x1: x(i) - 3, x2: x(i) + 3, y1: y(tick.at), y2: y(tick.at) },
            'jp-mltrack-parallel-rule'
          )
        );
        const text = svg(
          'text',
          { x: x(i) + 6, y: y(tick.at) + 4 },
          'jp-mltrack-parallel-tick'
        );
        text.textContent = shorten(tick.label, 14);
        g.appendChild(text);
      }
      axes.appendChild(g);
    });
    root.append(lines, axes);
    this._plot.replaceChildren(root);
    this._drawLegend();
  }

  private _drawLegend(): void {
    const trans = this._trans;
    const metric = this._data.axes[this._data.axes.length - 1];
    const ramp = el('span', 'jp-mltrack-parallel-ramp');
    const stops = [0, 0.25, 0.5, 0.75, 1].map(
      t => `${metricColor(t)} ${t * 100}%`
    );
    ramp.style.background = `linear-gradient(to right, ${stops.join(', ')})`;
    const low = metric.ticks[0]?.label ?? '';
    const high = metric.ticks[metric.ticks.length - 1]?.label ?? '';
    const items: HTMLElement[] = [
      el('span', '', `${this._data.metric}: ${low} `),
      ramp,
      el('span', '', ` ${high}`)
    ];
    if (this._data.lines.some(l => l.color === NO_METRIC_COLOR)) {
      const none = el('span', 'jp-mltrack-parallel-none');
      none.style.borderTopColor = NO_METRIC_COLOR;
      items.push(none, el('span', '', trans.__('no value')));
    }
    this._legend.replaceChildren(...items);
  }

  private _options: IParallelOptions;
  private _trans: TranslationBundle;
  private _data: IParallelData;
  private _select: HTMLSelectElement;
  private _plot: HTMLElement;
  private _legend: HTMLElement;
}
