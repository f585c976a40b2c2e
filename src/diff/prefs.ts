/**
 * The diff tabs' toggles (hide outputs, execution-count-only and metadata-only changes),
 * shared by every open diff tab and kept in the settings registry (schema/plugin.json
 * `diffHideOutputs`, `diffHideExecutionCount`, `diffHideMetadata`), so a reload or a new
 * tab shows what the user chose last. Counts and metadata alone are hidden by default.
 */
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { JSONValue } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

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
export class DiffPreferences {
  get filters(): IDiffFilters {
    return this._filters;
  }

  /** The toggles changed (in a tab, or in the settings). */
  get changed(): ISignal<this, IDiffFilters> {
    return this._changed;
  }

  set filters(filters: IDiffFilters) {
    const old = this._filters;
    if (
      (Object.keys(filters) as (keyof IDiffFilters)[]).every(
        key => filters[key] === old[key]
      )
    ) {
      return;
    }
    this._filters = { ...filters };
    this._changed.emit(this._filters);
  }

  private _filters: IDiffFilters = { ...DEFAULT_FILTERS };
  private _changed = new Signal<this, IDiffFilters>(this);
}

/** The slice of `ISettingRegistry.ISettings` the sync needs (a fake in unit tests). */
export interface IDiffSettings {
  readonly composite: ISettingRegistry.ISettings['composite'];
  readonly changed: ISignal<unknown, unknown>;
  set(key: string, value: JSONValue): Promise<void>;
}

/**
 * Two-way sync of the toggles and the settings: the settings win when they load or change
 * (another tab, the settings editor); a toggle flipped in a tab is written back.
 */
export class DiffPreferencesSync implements IDisposable {
  constructor(prefs: DiffPreferences, settings: IDiffSettings) {
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
    this._saved = readDiffFilters(this._settings.composite);
    this._prefs.filters = this._saved;
  }

  private _toSettings(_: DiffPreferences, filters: IDiffFilters): void {
    for (const key of Object.keys(FILTER_SETTINGS) as (keyof IDiffFilters)[]) {
      if (filters[key] !== this._saved[key]) {
        this._saved = { ...this._saved, [key]: filters[key] };
        void this._settings
          .set(FILTER_SETTINGS[key], filters[key])
          .catch(reason =>
            console.warn(
              'jupyter-mltrack: cannot save the diff toggles',
              reason
            )
          );
      }
    }
  }

  private _prefs: DiffPreferences;
  private _settings: IDiffSettings;
  private _saved: IDiffFilters = { ...DEFAULT_FILTERS };
  private _isDisposed = false;
}
