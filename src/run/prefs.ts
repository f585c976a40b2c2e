/**
 * Chart preferences (x axis, smoothing, log scale): how a user likes to read curves, not a
 * property of one run, so they are global, as W&B and TensorBoard keep them. Every run view
 * and compare tab reads and sets the one `ChartPreferences`, kept in the runs settings
 * (schema/runs.json `chartXAxis`, `chartSmoothing`, `chartLogScale`): a reload, or a new
 * tab, draws the charts the way the user left them (issue 18.5).
 */
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { JSONValue } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { XAxis } from '../charts/chart';

export interface IChartPrefs {
  xAxis: XAxis;
  /** Exponential moving average weight, 0 (none) to 0.99. */
  smoothing: number;
  log: boolean;
}

export const DEFAULT_CHART_PREFS: IChartPrefs = {
  xAxis: 'step',
  smoothing: 0,
  log: false
};

/** Setting key of each preference. */
export const CHART_SETTINGS: Record<keyof IChartPrefs, string> = {
  xAxis: 'chartXAxis',
  smoothing: 'chartSmoothing',
  log: 'chartLogScale'
};

const AXES: readonly XAxis[] = ['step', 'time', 'relative'];

/** The preferences in `composite`, with the defaults for anything missing or mistyped. */
export function readChartPrefs(
  composite: ISettingRegistry.ISettings['composite']
): IChartPrefs {
  const values = composite as Record<string, unknown>;
  const axis = values[CHART_SETTINGS.xAxis];
  const smoothing = values[CHART_SETTINGS.smoothing];
  const log = values[CHART_SETTINGS.log];
  return {
    xAxis: AXES.includes(axis as XAxis)
      ? (axis as XAxis)
      : DEFAULT_CHART_PREFS.xAxis,
    smoothing:
      typeof smoothing === 'number' && smoothing >= 0 && smoothing < 1
        ? smoothing
        : DEFAULT_CHART_PREFS.smoothing,
    log: typeof log === 'boolean' ? log : DEFAULT_CHART_PREFS.log
  };
}

function same(a: IChartPrefs, b: IChartPrefs): boolean {
  return a.xAxis === b.xAxis && a.smoothing === b.smoothing && a.log === b.log;
}

/** The preferences every chart bar reads and sets. */
export class ChartPreferences {
  get prefs(): IChartPrefs {
    return this._prefs;
  }

  set prefs(prefs: IChartPrefs) {
    if (same(prefs, this._prefs)) {
      return;
    }
    this._prefs = { ...prefs };
    this._changed.emit(this._prefs);
  }

  /** A preference changed (in a tab, or in the settings). */
  get changed(): ISignal<this, IChartPrefs> {
    return this._changed;
  }

  private _prefs: IChartPrefs = { ...DEFAULT_CHART_PREFS };
  private _changed = new Signal<this, IChartPrefs>(this);
}

/** The slice of `ISettingRegistry.ISettings` the sync needs (a fake in unit tests). */
export interface IChartSettings {
  readonly composite: ISettingRegistry.ISettings['composite'];
  readonly changed: ISignal<unknown, unknown>;
  set(key: string, value: JSONValue): Promise<void>;
}

/**
 * Two-way sync of the preferences and the settings: the settings win when they load or
 * change (another tab, the settings editor); a change in a chart bar is written back.
 */
export class ChartPreferencesSync implements IDisposable {
  constructor(prefs: ChartPreferences, settings: IChartSettings) {
    this._prefs = prefs;
    this._settings = settings;
    this._fromSettings();
    settings.changed.connect(this._fromSettings, this);
    prefs.changed.connect(this._toSettings, this);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._settings.changed.disconnect(this._fromSettings, this);
    this._prefs.changed.disconnect(this._toSettings, this);
  }

  private _fromSettings(): void {
    this._saved = readChartPrefs(this._settings.composite);
    this._prefs.prefs = this._saved;
  }

  private _toSettings(_: ChartPreferences, prefs: IChartPrefs): void {
    for (const key of Object.keys(CHART_SETTINGS) as (keyof IChartPrefs)[]) {
      if (prefs[key] !== this._saved[key]) {
        this._saved = { ...this._saved, [key]: prefs[key] };
        void this._settings
          .set(CHART_SETTINGS[key], prefs[key])
          .catch(reason =>
            console.warn(
              'jupyter-mltrack: cannot save the chart preferences',
              reason
            )
          );
      }
    }
  }

  private _prefs: ChartPreferences;
  private _settings: IChartSettings;
  private _saved: IChartPrefs = { ...DEFAULT_CHART_PREFS };
  private _isDisposed = false;
}
