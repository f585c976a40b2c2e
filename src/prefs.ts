/**
 * Preferences kept in the settings registry: a few values a user sets in a view (the diff
 * toggles, the chart x axis, the history filters) that a reload or another tab should show
 * as the user left them. The registry loads after the views exist, so the views read and
 * set a record in memory and a `PreferencesSync` reconciles it with the settings: the
 * settings win when they load or change (another tab, the settings editor); a change made in
 * a view is written back, key by key, where it differs from what the settings hold.
 */
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { JSONValue } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

/**
 * A record of preferences: plain values only, so that a change is seen with `===` and each
 * value is one setting.
 */
export type PrefRecord<T> = { [K in keyof T]: string | number | boolean };

/** The record's settings key of each preference. */
export type PrefKeys<T> = { readonly [K in keyof T]: string };

/** Whether `a` and `b` hold the same values. */
function same<T extends PrefRecord<T>>(a: T, b: T): boolean {
  const keys = Object.keys({ ...a, ...b }) as (keyof T)[];
  return keys.every(key => a[key] === b[key]);
}

/** A preference record every view reads and sets; `changed` tells the others. */
export class Preferences<T extends PrefRecord<T>> {
  constructor(defaults: T) {
    this._value = { ...defaults };
  }

  get value(): T {
    return this._value;
  }

  /** Setting the values already held emits nothing (no redraw, no write). */
  set value(value: T) {
    if (same(value, this._value)) {
      return;
    }
    this._value = { ...value };
    this._changed.emit(this._value);
  }

  /** The record changed (in a view, or from the settings). */
  get changed(): ISignal<this, T> {
    return this._changed;
  }

  private _value: T;
  private _changed = new Signal<this, T>(this);
}

/** The slice of `ISettingRegistry.ISettings` a sync needs (a fake in unit tests). */
export interface IPreferenceSettings {
  readonly composite: ISettingRegistry.ISettings['composite'];
  readonly changed: ISignal<unknown, unknown>;
  set(key: string, value: JSONValue): Promise<void>;
}

/** What the views read and set: a `Preferences`, or an adapter over a model's fields. */
export interface IPreferenceTarget<T> {
  value: T;
  readonly changed: ISignal<unknown, unknown>;
}

export namespace PreferencesSync {
  export interface IOptions<T> {
    /** The settings key of each preference. */
    keys: PrefKeys<T>;
    /** The record in the settings, with the defaults for anything missing or mistyped. */
    read: (composite: ISettingRegistry.ISettings['composite']) => T;
    /** Where the views read and set the record. */
    target: IPreferenceTarget<T>;
    /** Named in the console when a write fails, e.g. "the diff toggles". */
    label: string;
  }
}

/** Two-way sync of one preference record and the settings. */
export class PreferencesSync<T extends PrefRecord<T>> implements IDisposable {
  constructor(
    settings: IPreferenceSettings,
    options: PreferencesSync.IOptions<T>
  ) {
    this._settings = settings;
    this._keys = options.keys;
    this._read = options.read;
    this._target = options.target;
    this._label = options.label;
    this._saved = this._read(settings.composite);
    this._target.value = this._saved;
    settings.changed.connect(this._fromSettings, this);
    this._target.changed.connect(this._toSettings, this);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Stop following either side. */
  dispose(): void {
    this._isDisposed = true;
    Signal.disconnectReceiver(this);
  }

  private _fromSettings(): void {
    this._saved = this._read(this._settings.composite);
    // A target set field by field (a model) signals in between; what it holds then is
    // neither side's choice, so it is not written back.
    this._applying = true;
    try {
      this._target.value = this._saved;
    } finally {
      this._applying = false;
    }
  }

  private _toSettings(): void {
    if (this._applying) {
      return;
    }
    const value = this._target.value;
    for (const key of Object.keys(this._keys) as (keyof T)[]) {
      if (value[key] !== this._saved[key]) {
        this._saved = { ...this._saved, [key]: value[key] };
        void this._settings
          .set(this._keys[key], value[key])
          .catch(reason =>
            console.warn(`jupyter-mltrack: cannot save ${this._label}`, reason)
          );
      }
    }
  }

  private _settings: IPreferenceSettings;
  private _keys: PrefKeys<T>;
  private _read: (composite: ISettingRegistry.ISettings['composite']) => T;
  private _target: IPreferenceTarget<T>;
  private _label: string;
  private _saved: T;
  private _applying = false;
  private _isDisposed = false;
}
