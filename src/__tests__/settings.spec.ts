import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { Signal } from '@lumino/signaling';

import { HistoryModel } from '../history/model';
import {
  HistoryFiltersSync,
  LabSettingsSync,
  readHistoryFilters,
  readSettings
} from '../settings';
import { ILabSettings, ILabSettingsState } from '../tokens';

/**
 * A server extension as `lab-settings` behaves: it holds what it was sent (`source: "lab"`)
 * until it restarts, which brings back the default. `down` makes every request fail.
 */
function server() {
  const state: ILabSettingsState = { saveCheckpoints: true, source: 'default' };
  const puts: ILabSettings[] = [];
  let down = false;
  const reach = (): void => {
    if (down) {
      throw new TypeError('Failed to fetch');
    }
  };
  const sync = new LabSettingsSync({
    get: async () => {
      reach();
      return { ...state };
    },
    put: async body => {
      reach();
      puts.push(body);
      Object.assign(state, body, { source: 'lab' });
      return { ...state };
    },
    checkInterval: 0
  });
  return {
    sync,
    state,
    puts,
    setDown: (value: boolean) => (down = value),
    restart: () =>
      Object.assign(state, { saveCheckpoints: true, source: 'default' })
  };
}

const settings = (saveCheckpoints: boolean, historyPageSize = 50) => ({
  saveCheckpoints,
  historyPageSize
});

describe('readSettings', () => {
  it('falls back to the schema defaults for anything missing or mistyped', () => {
    expect(readSettings({})).toEqual({
      saveCheckpoints: true,
      historyPageSize: 50
    });
    expect(
      readSettings({ saveCheckpoints: 'no', historyPageSize: -3 })
    ).toEqual({ saveCheckpoints: true, historyPageSize: 50 });
    expect(
      readSettings({ saveCheckpoints: false, historyPageSize: 12.7 })
    ).toEqual({ saveCheckpoints: false, historyPageSize: 12 });
  });
});

describe('LabSettingsSync', () => {
  it('sends what the server needs when the settings load and when they change', async () => {
    const { sync, state, puts } = server();
    await sync.update(settings(false));
    expect(puts).toEqual([{ saveCheckpoints: false }]);
    expect(state).toEqual({ saveCheckpoints: false, source: 'lab' });

    // A setting the server does not use changed: nothing to send.
    await sync.update(settings(false, 200));
    expect(puts).toHaveLength(1);

    await sync.update(settings(true));
    expect(puts).toEqual([
      { saveCheckpoints: false },
      { saveCheckpoints: true }
    ]);
    sync.dispose();
  });

  it('sends them again to a server that restarted', async () => {
    const { sync, state, puts, restart } = server();
    await sync.update(settings(false));
    await sync.check();
    expect(puts).toHaveLength(1); // still there: nothing to do

    restart();
    expect(state.saveCheckpoints).toBe(true);
    await sync.check();
    expect(state).toEqual({ saveCheckpoints: false, source: 'lab' });
    expect(puts).toHaveLength(2);
    sync.dispose();
  });

  it('retries a send that failed once the server answers', async () => {
    const { sync, state, puts, setDown } = server();
    setDown(true);
    await expect(sync.update(settings(false))).resolves.toBeUndefined();
    expect(sync.sent).toBeNull();
    await expect(sync.check()).rejects.toThrow('Failed to fetch');

    setDown(false);
    await sync.check();
    expect(puts).toEqual([{ saveCheckpoints: false }]);
    expect(state.saveCheckpoints).toBe(false);
    expect(sync.sent).toEqual({ saveCheckpoints: false });
    sync.dispose();
  });

  it('leaves alone a server another lab tab told since', async () => {
    const { sync, state, puts } = server();
    await sync.update(settings(false));
    // The user switched it on in another tab, which sent it.
    Object.assign(state, { saveCheckpoints: true, source: 'lab' });
    await sync.check();
    expect(puts).toHaveLength(1);
    expect(state.saveCheckpoints).toBe(true);
    sync.dispose();
  });

  it('sends nothing before the settings are known', async () => {
    const { sync, puts } = server();
    await sync.check();
    expect(puts).toEqual([]);
    sync.dispose();
  });
});

describe('history filters in the settings', () => {
  /** The settings slice the sync uses: `set` changes the composite and signals. */
  function settings(initial: Record<string, unknown> = {}) {
    const composite: Record<string, unknown> = { ...initial };
    const changed = new Signal<unknown, unknown>({});
    const set = jest.fn(async (key: string, value: unknown) => {
      composite[key] = value;
      changed.emit(undefined);
    });
    return {
      composite: composite as ISettingRegistry.ISettings['composite'],
      raw: composite,
      changed,
      set
    };
  }
  const history = () =>
    new HistoryModel({
      list: async () => ({ items: [], total: 0 }),
      pollInterval: 0
    });

  it('reads the defaults for anything missing or mistyped', () => {
    expect(readHistoryFilters({})).toEqual({
      scope: 'notebook',
      showSaves: true
    });
    expect(
      readHistoryFilters({ historyScope: 'all', historyShowSaves: false })
    ).toEqual({ scope: 'all', showSaves: false });
    expect(
      readHistoryFilters({ historyScope: 'everything', historyShowSaves: 1 })
    ).toEqual({ scope: 'notebook', showSaves: true });
  });

  it('applies the saved filters when the settings load', () => {
    const model = history();
    const saved = settings({ historyScope: 'all', historyShowSaves: false });
    new HistoryFiltersSync(model, saved);
    expect(model.scope).toBe('all');
    expect(model.showSaves).toBe(false);
    expect(saved.set).not.toHaveBeenCalled();
  });

  it('writes a toggle back, once, and follows a change made elsewhere', () => {
    const model = history();
    const saved = settings();
    const sync = new HistoryFiltersSync(model, saved);
    model.scope = 'all';
    model.showSaves = false;
    expect(saved.set.mock.calls).toEqual([
      ['historyScope', 'all'],
      ['historyShowSaves', false]
    ]);
    // Another tab or the settings editor changes it back.
    saved.raw.historyScope = 'notebook';
    saved.changed.emit(undefined);
    expect(model.scope).toBe('notebook');
    expect(saved.set).toHaveBeenCalledTimes(2);
    sync.dispose();
    model.scope = 'all';
    expect(saved.set).toHaveBeenCalledTimes(2);
  });

  it('follows both filters changed elsewhere at once, writing nothing back', () => {
    const model = history();
    const saved = settings();
    const sync = new HistoryFiltersSync(model, saved);
    // The settings editor saves both; the model takes them one at a time.
    saved.raw.historyScope = 'all';
    saved.raw.historyShowSaves = false;
    saved.changed.emit(undefined);
    expect([model.scope, model.showSaves]).toEqual(['all', false]);
    expect(saved.set).not.toHaveBeenCalled();
    sync.dispose();
  });
});
