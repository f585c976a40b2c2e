/**
 * Histogram series (neptune's `histogram_series`, `scale.Run.log_histograms`: string series
 * of JSON `{"type", "edges", "values"}`, docs/coming-from.md) drawn as bars, one step at a
 * time, with a step slider, the newest step first.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Panel, Widget } from '@lumino/widgets';

import { HistogramChart } from '../charts/histogram';
import { defaultTrans } from '../i18n';
import { ISeries, ISeriesQuery } from '../runs/api';
import { formatValue } from '../runs/format';
import { el } from './sections';
import { IHistogram, parseHistogram } from './summary';

type Fetch = (id: string, field: string, q: ISeriesQuery) => Promise<ISeries>;

/** Steps a slider goes through (the newest). */
const STEPS = 500;

export class HistogramBlock extends Panel {
  constructor(
    runId: string,
    field: string,
    fetch: Fetch,
    trans: TranslationBundle = defaultTrans()
  ) {
    super();
    this.addClass('jp-mltrack-histogram');
    this.node.dataset.field = field;
    this._runId = runId;
    this._field = field;
    this._fetch = fetch;
    this._trans = trans;
    const bar = new Widget({ node: el('label', 'jp-mltrack-histogram-bar') });
    this._slider = el('input', 'jp-mltrack-histogram-slider');
    this._slider.type = 'range';
    this._slider.min = '0';
    this._slider.step = '1';
    this._slider.setAttribute('aria-label', trans.__('step of %1', field));
    this._stepLabel = el('span', 'jp-mltrack-histogram-step');
    bar.node.append(this._slider, this._stepLabel);
    this._slider.addEventListener('input', () =>
      this.select(Number(this._slider.value))
    );
    this._chart = new HistogramChart({
      title: field,
      xTitle: trans.__('value (bin edges)'),
      yTitle: trans.__('count')
    });
    this.addWidget(bar);
    this.addWidget(this._chart);
  }

  get steps(): ReadonlyArray<number | null> {
    return this._steps;
  }

  async update(): Promise<void> {
    const answer = await this._fetch(this._runId, this._field, {
      maxPoints: STEPS
    });
    const following = this._selected >= this._hists.length - 1;
    this._hists = [];
    this._steps = [];
    answer.values.forEach((value, i) => {
      const hist = parseHistogram(value);
      if (hist) {
        this._hists.push(hist);
        this._steps.push(answer.steps[i] ?? null);
      }
    });
    this._slider.max = String(Math.max(0, this._hists.length - 1));
    this._slider.disabled = this._hists.length < 2;
    this.select(
      following
        ? this._hists.length - 1
        : Math.min(this._selected, this._hists.length - 1)
    );
  }

  /** Draw the histogram at `position` (0: the oldest step fetched). */
  select(position: number): void {
    this._selected = Math.max(0, position);
    this._slider.value = String(this._selected);
    const step = this._steps[this._selected];
    this._stepLabel.textContent =
      step !== undefined && step !== null
        ? this._trans.__('step %1', formatValue(step))
        : '';
    this.node.dataset.step = step === undefined ? '' : String(step);
    this._chart.bins = this._hists[this._selected] ?? null;
  }

  private _runId: string;
  private _field: string;
  private _fetch: Fetch;
  private _trans: TranslationBundle;
  private _slider: HTMLInputElement;
  private _stepLabel: HTMLElement;
  private _chart: HistogramChart;
  private _hists: IHistogram[] = [];
  private _steps: (number | null)[] = [];
  private _selected = 0;
}
