import { Signal } from '@lumino/signaling';

import { readViews, ViewsStore } from '../savedViews';

/** The settings registry's contract: `set` then `changed`. */
class FakeSettings {
  values: Record<string, unknown> = {};
  changed = new Signal<unknown, void>(this);
  get(key: string) {
    return { composite: this.values[key] };
  }
  async set(key: string, value: unknown) {
    this.values[key] = JSON.parse(JSON.stringify(value));
    this.changed.emit();
  }
}

describe('saved views', () => {
  it('reads only well-formed views, the last of a name wins', () => {
    expect(
      readViews([
        { name: 'a', query: 'x > 1', sort: '-x', columns: ['x', 3] },
        { name: '' },
        'junk',
        { name: 'a', query: 'y > 1' }
      ])
    ).toEqual([{ name: 'a', query: 'y > 1', sort: '', columns: [] }]);
    expect(readViews(null)).toEqual([]);
  });

  it('saves, replaces and removes views in the settings', async () => {
    const settings = new FakeSettings();
    const store = new ViewsStore();
    store.connect(settings);
    await store.save({
      name: 'best',
      query: 'f1 > 0.9',
      sort: '-f1',
      columns: ['f1']
    });
    await store.save({
      name: 'best',
      query: 'f1 > 0.95',
      sort: '-f1',
      columns: []
    });
    await store.save({
      name: 'mine',
      query: 'sys/owner = "me"',
      sort: '',
      columns: []
    });
    expect(settings.values.views).toEqual([
      { name: 'best', query: 'f1 > 0.95', sort: '-f1', columns: [] },
      { name: 'mine', query: 'sys/owner = "me"', sort: '', columns: [] }
    ]);
    await store.remove('best');
    expect(store.views.map(v => v.name)).toEqual(['mine']);
    // Edited elsewhere (the settings editor): the store follows.
    await settings.set('views', [{ name: 'other', query: '' }]);
    expect(store.find('other')).toBeDefined();
  });
});
