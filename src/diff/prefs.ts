/**
 * The diff tabs' toggles (hide outputs, execution-count-only and metadata-only changes),
 * shared by every open diff tab and kept in the settings registry (schema/plugin.json
 * `diffHideOutputs`, `diffHideExecutionCount`, `diffHideMetadata`), so a reload or a new
 * tab shows what the user chose last. Counts and metadata alone are hidden by default.
 */
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { IPreferenceSettings, Preferences, PreferencesSync } from '../prefs';
import { DEFAULT_FILTERS, IDiffFilters } from './filter';

/** Setting key of each toggle. */
export const FILTER_SETTINGS: Record<keyof IDiffFilters, string> = {
  hideOutputs: 'diffHideOutputs',
  hideExecutionCount: 'diffHideExecutionCount',
  hideMetadata: 'diffHideMetadata'
};

/** The toggles in `composite`, with the defaults for anything missing or mistyped. */
export function readDiffFilters(
  composite: ISettingRegistry.ISettings['composite']
): IDiffFilters {
  const values = composite as Record<string, unknown>;
  const out = { ...DEFAULT_FILTERS };
  for (const key of Object.keys(FILTER_SETTINGS) as (keyof IDiffFilters)[]) {
    const value = values[FILTER_SETTINGS[key]];
    if (typeof value === 'boolean') {
      out[key] = value;
    }
  }
  return out;
}

/** The toggles every diff tab reads and sets. */
export class DiffPreferences extends Preferences<IDiffFilters> {
  constructor() {
    super(DEFAULT_FILTERS);
  }

  get filters(): IDiffFilters {
    return this.value;
  }

  set filters(filters: IDiffFilters) {
    this.value = filters;
  }
}

/** The slice of `ISettingRegistry.ISettings` the sync needs (a fake in unit tests). */
export type IDiffSettings = IPreferenceSettings;

/**
 * Two-way sync of the toggles and the settings (../prefs.ts): the settings win when they
 * load or change (another tab, the settings editor); a toggle flipped in a tab is written
 * back.
 */
export class DiffPreferencesSync extends PreferencesSync<IDiffFilters> {
  constructor(prefs: DiffPreferences, settings: IDiffSettings) {
    super(settings, {
      keys: FILTER_SETTINGS,
      read: readDiffFilters,
      target: prefs,
      label: 'the diff toggles'
    });
  }
}
