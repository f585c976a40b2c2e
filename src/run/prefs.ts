/**
 * Chart preferences (x axis, smoothing, log scale): how a user likes to read curves, not a
 * property of one run, so they are global, as W&B and TensorBoard keep them. Every run view
 * and compare tab reads and sets the one `ChartPreferences`, kept in the runs settings
 * (schema/runs.json `chartXAxis`, `chartSmoothing`, `chartLogScale`): a reload, or a new
 * tab, draws the charts the way the user left them (issue 18.5).
 */
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { XAxis } from '../charts/chart';
import { IPreferenceSettings, Preferences, PreferencesSync } from '../prefs';

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

/** The preferences every chart bar reads and sets. */
export class ChartPreferences extends Preferences<IChartPrefs> {
  constructor() {
    super(DEFAULT_CHART_PREFS);
  }

  get prefs(): IChartPrefs {
    return this.value;
  }

  set prefs(prefs: IChartPrefs) {
    this.value = prefs;
  }
}

/** The slice of `ISettingRegistry.ISettings` the sync needs (a fake in unit tests). */
export type IChartSettings = IPreferenceSettings;

/**
 * Two-way sync of the preferences and the settings (../prefs.ts): the settings win when
 * they load or change (another tab, the settings editor); a change in a chart bar is
 * written back.
 */
export class ChartPreferencesSync extends PreferencesSync<IChartPrefs> {
  constructor(prefs: ChartPreferences, settings: IChartSettings) {
    super(settings, {
      keys: CHART_SETTINGS,
      read: readChartPrefs,
      target: prefs,
      label: 'the chart preferences'
    });
  }
}
