/**
 * The lab settings (schema/plugin.json): read from the settings registry, and the part the
 * server acts on sent to it. Save checkpoints are taken by the server from the contents
 * events, so "Checkpoint on save" must reach it: `LabSettingsSync` PUTs it when the settings
 * load or change, and again when the server has lost it (a restart answers `source:
 * "default"`) or an earlier send failed. The server never reads the lab's settings files.
 */
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';

import type { HistoryModel, HistoryScope } from './history/model';
import { IPreferenceSettings, PrefKeys, PreferencesSync } from './prefs';

import {
  DEFAULT_SETTINGS,
  ILabSettings,
  ILabSettingsState,
  IMLTrackSettings
} from './tokens';

/** Settings with the schema's defaults for anything missing or mistyped. */
export function readSettings(
  composite: ISettingRegistry.ISettings['composite']
): IMLTrackSettings {
  const { saveCheckpoints, historyPageSize } = composite as Partial<
    Record<keyof IMLTrackSettings, unknown>
  >;
  return {
    saveCheckpoints:
      typeof saveCheckpoints === 'boolean'
        ? saveCheckpoints
        : DEFAULT_SETTINGS.saveCheckpoints,
    historyPageSize:
      typeof historyPageSize === 'number' && historyPageSize > 0
        ? Math.floor(historyPageSize)
        : DEFAULT_SETTINGS.historyPageSize
  };
}

/** How often the server is asked whether it still holds the lab's settings. */
export const CHECK_INTERVAL = 30 * 1000;

export namespace LabSettingsSync {
  export interface IOptions {
    /** `getLabSettings` of `api.ts` in the lab. */
    get: () => Promise<ILabSettingsState>;
    /** `putLabSettings` of `api.ts` in the lab. */
    put: (settings: ILabSettings) => Promise<ILabSettingsState>;
    /** Milliseconds between checks; 0 turns them off (unit tests call `check`). */
    checkInterval?: number;
  }
}

export class LabSettingsSync implements IDisposable {
  constructor(options: LabSettingsSync.IOptions) {
    this._get = options.get;
    this._put = options.put;
    const interval = options.checkInterval ?? CHECK_INTERVAL;
    if (interval > 0) {
      this._poll = new Poll({
        name: 'mltrack:lab-settings',
        factory: () => this.check(),
        frequency: { interval, backoff: true, max: 5 * 60 * 1000 },
        standby: 'when-hidden'
      });
    }
  }

  /** What the server was last told, or null before the first successful send. */
  get sent(): ILabSettings | null {
    return this._sent;
  }

  /**
   * The settings loaded or changed: send what the server needs unless it already has it.
   * Never rejects; a failed send is retried by the next `check`.
   */
  async update(settings: IMLTrackSettings): Promise<void> {
    this._wanted = { saveCheckpoints: settings.saveCheckpoints };
    if (this._sent?.saveCheckpoints === this._wanted.saveCheckpoints) {
      return;
    }
    await this._send();
  }

  /**
   * Send the settings again if the server forgot them (it restarted) or the last send
   * failed. A server told by another lab tab (`source: "lab"`) is left alone: the tab where
   * the user changed a setting last has the newest value. Rejects when the server cannot be
   * reached, so the poll backs off.
   */
  async check(): Promise<void> {
    if (!this._wanted) {
      return;
    }
    if (this._sent === null) {
      await this._send(true);
      return;
    }
    const state = await this._get();
    if (state.source !== 'lab') {
      await this._send(true);
    }
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._poll?.dispose();
  }

  private async _send(rethrow = false): Promise<void> {
    const wanted = this._wanted;
    if (!wanted || this._isDisposed) {
      return;
    }
    this._sent = null;
    try {
      await this._put(wanted);
    } catch (reason) {
      if (rethrow) {
        throw reason;
      }
      console.warn('jupyter-mltrack: lab settings not sent yet', reason);
      return;
    }
    // A newer update may have been sent meanwhile; then that one is what the server has.
    if (this._wanted === wanted) {
      this._sent = wanted;
    }
  }

  private _get: () => Promise<ILabSettingsState>;
  private _put: (settings: ILabSettings) => Promise<ILabSettingsState>;
  private _poll: Poll | null = null;
  private _wanted: ILabSettings | null = null;
  private _sent: ILabSettings | null = null;
  private _isDisposed = false;
}

/** The history sidebar's filters and toggles kept in the settings (schema/plugin.json). */
export interface IHistoryFilters {
  /** `historyScope`: the active notebook's checkpoints, or all notebooks'. */
  scope: HistoryScope;
  /** `historyShowSaves`: whether save checkpoints are listed. */
  showSaves: boolean;
}

/** Setting key of each filter. */
export const HISTORY_FILTER_SETTINGS: PrefKeys<IHistoryFilters> = {
  scope: 'historyScope',
  showSaves: 'historyShowSaves'
};

/** The filters in `composite`, with the schema's defaults for anything missing. */
export function readHistoryFilters(
  composite: ISettingRegistry.ISettings['composite']
): IHistoryFilters {
  const { historyScope, historyShowSaves } = composite as Record<
    string,
    unknown
  >;
  return {
    scope: historyScope === 'all' ? 'all' : 'notebook',
    showSaves: typeof historyShowSaves === 'boolean' ? historyShowSaves : true
  };
}

/**
 * Two-way sync of the history model's filters and the settings (prefs.ts): the settings
 * win when they load or change (another tab, the settings editor), and a toggle in the
 * sidebar is written back, so a reload shows the same filters (issue 17.6).
 */
export class HistoryFiltersSync extends PreferencesSync<IHistoryFilters> {
  constructor(history: HistoryModel, settings: IPreferenceSettings) {
    super(settings, {
      keys: HISTORY_FILTER_SETTINGS,
      read: readHistoryFilters,
      label: 'the history filters',
      target: {
        get value(): IHistoryFilters {
          return { scope: history.scope, showSaves: history.showSaves };
        },
        set value(filters: IHistoryFilters) {
          history.scope = filters.scope;
          history.showSaves = filters.showSaves;
        },
        changed: history.changed
      }
    });
  }
}
