import { HistoryModel } from '../model';
import { ICheckpoint, IListQuery, IPage } from '../../tokens';

/** A checkpoint entry as the server answers it; `at` is epoch seconds. */
function entry(
  id: string,
  at: number,
  extra: Partial<ICheckpoint> = {}
): ICheckpoint {
  return {
    id,
    notebook_path: 'work/train.ipynb',
    captured_path: 'work/train.ipynb',
    notebook_deleted: false,
    seq: 1,
    parent_id: null,
    validation_warning: null,
    created_at: at,
    name: '',
    description: '',
    trigger: 'manual',
    author: 'ada',
    size: 1200,
    changes: { added: 0, removed: 0, modified: 1 },
    runs: [],
    ...extra
  };
}

/** A fake `GET checkpoints` over `rows`, recording each query. */
function server(rows: ICheckpoint[]) {
  const queries: IListQuery[] = [];
  const list = jest.fn(
    async (query: IListQuery): Promise<IPage<ICheckpoint>> => {
      queries.push(query);
      let items = rows.filter(
        r => !query.path || r.notebook_path === query.path
      );
      if (query.excludeTrigger) {
        items = items.filter(r => r.trigger !== query.excludeTrigger);
      }
      if (query.q) {
        items = items.filter(r => (r.name + r.description).includes(query.q!));
      }
      const offset = query.offset ?? 0;
      return {
        items: items.slice(offset, offset + (query.limit ?? 50)),
        total: items.length
      };
    }
  );
  return { list, queries };
}

function model(
  list: HistoryModel.IOptions['list'],
  pageSize = 50
): HistoryModel {
  return new HistoryModel({ list, pollInterval: 0, pageSize });
}

describe('HistoryModel', () => {
  it('asks for nothing and explains what to do while no notebook is open', async () => {
    const { list } = server([entry('a', 1)]);
    const history = model(list);

    await history.refresh();

    expect(list).not.toHaveBeenCalled();
    expect(history.needsNotebook).toBe(true);
    expect(history.emptyText).toMatch(/Open a notebook/);
  });

  it('lists the followed notebook and reloads when the path changes', async () => {
    const rows = [
      entry('b', 2),
      entry('a', 1),
      entry('x', 3, { notebook_path: 'other.ipynb' })
    ];
    const { list, queries } = server(rows);
    const history = model(list);

    history.path = 'work/train.ipynb';
    await history.refresh();
    expect(history.items.map(i => i.id)).toEqual(['b', 'a']);
    expect(history.total).toBe(2);
    expect(history.status).toBe('ready');

    history.path = 'other.ipynb';
    await history.refresh();
    expect(history.items.map(i => i.id)).toEqual(['x']);
    expect(queries[queries.length - 1]).toMatchObject({
      path: 'other.ipynb',
      offset: 0
    });
  });

  it('lists every notebook in the "all" scope', async () => {
    const { list, queries } = server([
      entry('x', 3, { notebook_path: 'other.ipynb' }),
      entry('a', 1)
    ]);
    const history = model(list);
    history.scope = 'all';
    await history.refresh();

    expect(history.items.map(i => i.id)).toEqual(['x', 'a']);
    expect(queries[queries.length - 1].path).toBeNull();
  });

  it('leaves save checkpoints out through the server, so the total counts only what is listed', async () => {
    const { list, queries } = server([
      entry('s2', 4, { trigger: 'save' }),
      entry('r', 3, { trigger: 'run' }),
      entry('s1', 2, { trigger: 'save' }),
      entry('m', 1)
    ]);
    const history = model(list);
    history.path = 'work/train.ipynb';
    history.showSaves = false;
    await history.refresh();
    expect(queries[queries.length - 1].excludeTrigger).toBe('save');
    expect(history.items.map(i => i.id)).toEqual(['r', 'm']);
    expect(history.total).toBe(2);
    expect(history.hasMore).toBe(false);

    history.showSaves = true;
    await history.refresh();
    expect(queries[queries.length - 1].excludeTrigger).toBeUndefined();
    expect(history.items.map(i => i.id)).toEqual(['s2', 'r', 's1', 'm']);
    expect(history.total).toBe(4);
  });

  it('searches names and descriptions and says when nothing matches', async () => {
    const { list } = server([
      entry('a', 1, { name: 'baseline' }),
      entry('b', 2, { description: 'scaled features' })
    ]);
    const history = model(list);
    history.path = 'work/train.ipynb';
    history.query = '  scaled ';
    await history.refresh();
    expect(history.items.map(i => i.id)).toEqual(['b']);

    history.query = 'nothing like it';
    await history.refresh();
    expect(history.items).toEqual([]);
    expect(history.emptyText).toBe('No checkpoint matches "nothing like it".');
  });

  it('pages with loadMore', async () => {
    const rows = [5, 4, 3, 2, 1].map(n => entry(`c${n}`, n));
    const { list } = server(rows);
    const history = model(list, 2);
    history.path = 'work/train.ipynb';
    await history.refresh();
    expect(history.items).toHaveLength(2);
    expect(history.hasMore).toBe(true);

    await history.loadMore();
    await history.loadMore();
    expect(history.items.map(i => i.id)).toEqual([
      'c5',
      'c4',
      'c3',
      'c2',
      'c1'
    ]);
    expect(history.hasMore).toBe(false);
  });

  it('emits only when a refresh brings something new', async () => {
    const rows = [entry('a', 1)];
    const { list } = server(rows);
    const history = model(list);
    history.path = 'work/train.ipynb';
    await history.refresh();
    const listener = jest.fn();
    history.changed.connect(listener);

    await history.refresh();
    expect(listener).not.toHaveBeenCalled();

    rows.unshift(entry('b', 2));
    await history.refresh();
    expect(listener).toHaveBeenCalledTimes(1);
    expect(history.items[0].id).toBe('b');
  });

  it('pairs two picks oldest first and forgets picks that left the list', async () => {
    const rows = [entry('new', 30), entry('mid', 20), entry('old', 10)];
    const { list } = server(rows);
    const history = model(list);
    history.path = 'work/train.ipynb';
    await history.refresh();

    history.toggleSelected('new');
    expect(history.comparePair).toBeNull();
    history.toggleSelected('old');
    expect(history.comparePair?.base.id).toBe('old');
    expect(history.comparePair?.remote.id).toBe('new');

    history.toggleSelected('mid');
    expect(history.selection).toEqual(['old', 'mid']);

    rows.splice(2, 1);
    await history.refresh();
    expect(history.selection).toEqual(['mid']);
  });

  it('keeps the list and reports the error when a fetch fails', async () => {
    let fail = false;
    const list = jest.fn(async () => {
      if (fail) {
        throw new Error('store is locked');
      }
      return { items: [entry('a', 1)], total: 1 };
    });
    const history = model(list);
    history.path = 'work/train.ipynb';
    await history.refresh();
    fail = true;

    await expect(history.refresh()).resolves.toBeUndefined();
    expect(history.status).toBe('error');
    expect(history.error).toBe('store is locked');
    expect(history.items.map(i => i.id)).toEqual(['a']);
  });

  it('replaces an edited entry in place', async () => {
    const { list } = server([entry('a', 1)]);
    const history = model(list);
    history.path = 'work/train.ipynb';
    await history.refresh();

    history.replace(entry('a', 1, { name: 'baseline' }));

    expect(history.find('a')?.name).toBe('baseline');
  });

  it('polls by itself and picks up a new checkpoint', async () => {
    const rows = [entry('a', 1)];
    const { list } = server(rows);
    const history = new HistoryModel({ list, pollInterval: 20 });
    history.path = 'work/train.ipynb';
    await history.refresh();
    rows.unshift(entry('b', 2));

    await new Promise<void>(resolve => {
      history.changed.connect(() => {
        if (history.items[0]?.id === 'b') {
          resolve();
        }
      });
    });
    expect(history.total).toBe(2);
    history.dispose();
  });
});
