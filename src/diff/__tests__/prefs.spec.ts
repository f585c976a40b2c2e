import { FakeSettings } from '../../__tests__/fakeSettings';
import { DEFAULT_FILTERS } from '../filter';
import {
  DiffPreferences,
  DiffPreferencesSync,
  readDiffFilters
} from '../prefs';

describe('diff toggles in the settings', () => {
  it('hide count-only and metadata-only changes by default', () => {
    expect(readDiffFilters({})).toEqual(DEFAULT_FILTERS);
    expect(DEFAULT_FILTERS).toEqual({
      hideOutputs: false,
      hideExecutionCount: true,
      hideMetadata: true
    });
    expect(readDiffFilters({ diffHideExecutionCount: 'no' })).toEqual(
      DEFAULT_FILTERS
    );
  });

  it('load from the settings and write a flipped toggle back', async () => {
    const settings = new FakeSettings();
    settings.composite = { diffHideOutputs: true };
    const prefs = new DiffPreferences();
    const seen: boolean[] = [];
    prefs.changed.connect((_, f) => seen.push(f.hideExecutionCount));
    const sync = new DiffPreferencesSync(prefs, settings);
    expect(prefs.filters.hideOutputs).toBe(true);

    prefs.filters = { ...prefs.filters, hideExecutionCount: false };
    await Promise.resolve();
    expect(settings.writes).toEqual([['diffHideExecutionCount', false]]);
    expect(seen).toEqual([true, false]);

    // The settings editor (or another tab) changes it: the toggles follow.
    settings.composite = { ...settings.composite, diffHideMetadata: false };
    settings.changed.emit();
    expect(prefs.filters.hideMetadata).toBe(false);
    expect(prefs.filters.hideExecutionCount).toBe(false);
    sync.dispose();
  });
});
