import { IRunsPage, IRunsQuery } from '../api';
import {
  canonicalColumn,
  DEFAULT_COLUMNS,
  DEFAULT_SORT,
  formatSort,
  IColumnLayout,
  parseSort,
  projectOfQuery,
  RunsTableModel,
  splitList,
  viewColumns
} from '../model';

/**
 * A fake server over `n` runs RUN-0..RUN-n-1 that records every request. Pages end with a
 * cursor (`after:<next row>`) as the server's keyset pages do; with `estimate`, totals are
 * that estimate except on the last page, as the server answers past 2,000 runs.
 */
function server(n: number, estimate?: number) {
  const calls: IRunsQuery[] = [];
  const fetch = async (q: IRunsQuery): Promise<IRunsPage> => {
    calls.push(q);
    if (q.cursor !== undefined && q.offset !== undefined) {
      throw new Error('give a cursor or an offset, not both');
    }
    const offset = q.cursor ? Number(q.cursor.slice(6)) : (q.offset ?? 0);
    const limit = q.limit ?? 100;
    const items = [];
    for (let i = offset; i < Math.min(n, offset + limit); i++) {
      items.push({ 'sys/id': `RUN-${i}`, 'sys/name': `r${i}` });
    }
    const last = offset + limit >= n;
    return {
      items,
      total: estimate === undefined || last ? n : estimate,
      total_estimated: estimate !== undefined && !last,
      next_cursor: last ? null : `after:${offset + limit}`,
      columns: ['sys/id', 'sys/name', ...(q.columns ?? [])]
    };
  };
  return { calls, fetch };
}

/** How each request asked for its page: `o<offset>` or `c<cursor's row>`. */
function asked(calls: IRunsQuery[]): string[] {
  return calls.map(c =>
    c.cursor ? `c${c.cursor.slice(6)}` : `o${c.offset ?? 0}`
  );
}

describe('sort strings', () => {
  it('parses and formats keys, backticked commas kept', () => {
    expect(parseSort('-metrics/f1, sys/name')).toEqual([
      { column: 'metrics/f1', descending: true },
      { column: 'sys/name', descending: false }
    ]);
    expect(splitList('`a,b`, c')).toEqual(['`a,b`', 'c']);
    expect(formatSort(parseSort('-a,b'))).toBe('-a, b');
  });
});

describe('RunsTableModel', () => {
  it('loads only the first page to paint, then the pages scrolled to', async () => {
    const { calls, fetch } = server(10_000);
    const model = new RunsTableModel({ fetch, pageSize: 500 });
    await model.reload();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      limit: 500,
      offset: 0,
      sort: DEFAULT_SORT
    });
    expect(model.total).toBe(10_000);
    expect(model.rowAt(499)?.['sys/id']).toBe('RUN-499');
    expect(model.rowAt(500)).toBeUndefined();

    await model.ensure(4990, 5030);
    // A jump: the first page by offset, the one after it by its cursor.
    expect(asked(calls)).toEqual(['o0', 'o4500', 'c5000']);
    expect(model.rowAt(5030)?.['sys/id']).toBe('RUN-5030');
    await model.ensure(4990, 5030); // loaded already: no request
    expect(calls).toHaveLength(3);
    await model.ensure(9990, 20000); // clamped to the total
    expect(asked(calls)).toEqual(['o0', 'o4500', 'c5000', 'o9500']);
  });

  it('scrolls on by cursor and jumps by offset', async () => {
    const { calls, fetch } = server(10_000);
    const model = new RunsTableModel({ fetch, pageSize: 500 });
    await model.reload();
    expect(model.pageRequest(1)).toEqual({ cursor: 'after:500' });
    expect(model.pageRequest(7)).toEqual({ offset: 3500 });
    for (let row = 0; row + 40 < 2000; row += 40) {
      await model.ensure(row, row + 40); // scrolling down a screen at a time
    }
    expect(asked(calls)).toEqual(['o0', 'c500', 'c1000', 'c1500']);
    await model.ensure(8000, 8040); // the scrollbar dragged far
    await model.ensure(8480, 8520); // and on from there
    expect(asked(calls).slice(4)).toEqual(['o8000', 'c8500']);
    expect(model.rowAt(8519)?.['sys/id']).toBe('RUN-8519');
    // Several pages at once: each after the one before, in order.
    await model.ensure(4000, 5600);
    expect(asked(calls).slice(6)).toEqual(['o4000', 'c4500', 'c5000', 'c5500']);
    expect(model.rowAt(5600)?.['sys/id']).toBe('RUN-5600');
    expect(model.loading).toBe(false);
  });

  it('starts over by offset after a reload', async () => {
    const { calls, fetch } = server(2000);
    const model = new RunsTableModel({ fetch, pageSize: 500 });
    await model.reload();
    await model.ensure(0, 600);
    await model.sortBy('sys/name');
    await model.ensure(500, 600);
    expect(asked(calls)).toEqual(['o0', 'c500', 'o0', 'c500']);
  });

  it('sorts: a new column ascending, again descending, shift adds a key', async () => {
    const { calls, fetch } = server(3);
    const model = new RunsTableModel({ fetch });
    await model.sortBy('params/lr');
    expect(model.sort).toBe('params/lr');
    await model.sortBy('params/lr');
    expect(model.sort).toBe('-params/lr');
    await model.sortBy('sys/name', true);
    expect(model.sort).toBe('-params/lr, sys/name');
    await model.sortBy('sys/owner');
    expect(model.sort).toBe('sys/owner');
    expect(calls[calls.length - 1]?.sort).toBe('sys/owner');
  });

  it('adds and removes columns and round-trips a saved view', async () => {
    const { calls, fetch } = server(3);
    const model = new RunsTableModel({ fetch });
    await model.setQuery('  metrics/f1 > 0.5 ');
    await model.addColumn('max(val/acc)');
    await model.addColumn('max(val/acc)'); // twice: once
    await model.addColumn('sys/id'); // a default column: no-op
    expect(model.extraColumns).toEqual(['max(val/acc)']);
    expect(calls[calls.length - 1]).toMatchObject({
      query: 'metrics/f1 > 0.5',
      // The notebook column's name rides along (its value is the checkpoint).
      columns: ['max(val/acc)', 'sys/notebook_path']
    });
    const view = model.view('mine');
    await model.removeColumn('max(val/acc)');
    await model.applyView({ query: '', sort: '', columns: [] });
    expect(model.sort).toBe(DEFAULT_SORT);
    await model.applyView(view);
    expect(model.view('mine')).toEqual(view);
  });

  it('drops answers of a query replaced meanwhile', async () => {
    let release: (() => void) | null = null;
    const fetch = (q: IRunsQuery): Promise<IRunsPage> =>
      new Promise(resolve => {
        const answer = {
          items: [{ 'sys/id': q.query ?? '' }],
          total: 1,
          columns: ['sys/id']
        };
        if (q.query === 'slow') {
          release = () => resolve(answer);
        } else {
          resolve(answer);
        }
      });
    const model = new RunsTableModel({ fetch });
    const slow = model.setQuery('slow');
    await model.setQuery('fast');
    release!();
    await slow;
    expect(model.idAt(0)).toBe('fast');
  });

  it('keeps a bad query error and clears the rows', async () => {
    const fetch = async (q: IRunsQuery): Promise<IRunsPage> => {
      if (q.query) {
        throw new Error('expected a value at position 5');
      }
      return { items: [{ 'sys/id': 'A-1' }], total: 1, columns: ['sys/id'] };
    };
    const model = new RunsTableModel({ fetch });
    await model.reload();
    await model.setQuery('a >');
    expect(model.error).toContain('position 5');
    expect(model.total).toBe(0);
    expect(model.rowAt(0)).toBeUndefined();
    await model.setQuery('');
    expect(model.error).toBeNull();
  });

  it('refreshes only the pages in view and forgets the others', async () => {
    const { calls, fetch } = server(2000);
    const model = new RunsTableModel({ fetch, pageSize: 500 });
    await model.reload();
    await model.ensure(1400, 1600);
    calls.length = 0;
    await model.refresh(1450, 1480);
    expect(asked(calls)).toEqual(['o1000']);
    expect(model.rowAt(0)).toBeUndefined(); // fetched again when scrolled back to
    expect(model.rowAt(1499)?.['sys/id']).toBe('RUN-1499');
    calls.length = 0;
    await model.ensure(1400, 1600);
    await model.refresh(1400, 1600); // the first page in view by offset, on by cursor
    expect(asked(calls)).toEqual(['c1500', 'o1000', 'c1500']);
  });

  it('selects one, toggles, and extends a range', async () => {
    const { fetch } = server(10);
    const model = new RunsTableModel({ fetch });
    await model.reload();
    let changes = 0;
    model.changed.connect(() => changes++);
    model.select(2);
    model.select(5, 'range');
    expect(model.selected.sort()).toEqual(['RUN-2', 'RUN-3', 'RUN-4', 'RUN-5']);
    model.select(3, 'toggle');
    expect(model.isSelected('RUN-3')).toBe(false);
    model.select(7);
    expect(model.selected).toEqual(['RUN-7']);
    model.select(50); // not loaded: ignored
    expect(model.selected).toEqual(['RUN-7']);
    model.select(5, 'range'); // a new range replaces the selection
    expect(model.selected.sort()).toEqual(['RUN-5', 'RUN-6', 'RUN-7']);
    expect(model.cursor).toBe(5);
    expect(changes).toBe(5);
  });
});

/** A layout store in memory, as the settings registry holds it. */
function layouts() {
  const kept: Record<string, IColumnLayout> = {};
  return {
    kept,
    layout: (project: string) => kept[project] ?? null,
    saveLayout: (project: string, layout: IColumnLayout) => {
      kept[project] = layout;
    }
  };
}

describe('RunsTableModel columns', () => {
  it('shows the suggested columns after the sys ones until the user chooses', async () => {
    const { calls, fetch } = server(3);
    const asked: string[] = [];
    const model = new RunsTableModel({
      fetch,
      suggest: async q => {
        asked.push(q.query);
        return ['parameters/lr', 'train/loss'];
      }
    });
    await model.reload();
    expect(model.columns).toEqual([
      ...DEFAULT_COLUMNS,
      'parameters/lr',
      'train/loss'
    ]);
    expect(model.columnsChosen).toBe(false);
    expect(calls[0].columns).toEqual([
      'parameters/lr',
      'train/loss',
      'sys/notebook_path'
    ]);
    await model.sortBy('sys/name'); // same query: not asked again
    expect(asked).toEqual(['']);
    await model.setQuery('parameters/lr > 0');
    expect(asked).toEqual(['', 'parameters/lr > 0']);
  });

  it('adds, removes, moves and resizes; the layout is kept per project', async () => {
    const { fetch } = server(3);
    const store = layouts();
    const suggest = async () => ['parameters/lr'];
    const model = new RunsTableModel({
      fetch,
      suggest,
      layouts: store,
      query: 'sys/project = "demo"'
    });
    await model.reload();
    await model.addColumn('max( `val/acc` )');
    await model.removeColumn('sys/owner');
    await model.removeColumn('sys/id'); // the link to the run stays
    model.moveColumn('max(val/acc)', 'sys/name');
    model.setWidth('sys/name', 10); // clamped
    const expected = [
      'sys/id',
      'max(val/acc)',
      'sys/name',
      ...DEFAULT_COLUMNS.slice(2).filter(c => c !== 'sys/owner'),
      'parameters/lr'
    ];
    expect(model.columns).toEqual(expected);
    expect(store.kept['demo']).toEqual({
      columns: expected,
      widths: { 'sys/name': 40 }
    });

    // Another project: its own (automatic) columns; back to demo: the chosen ones.
    await model.setQuery('sys/project = "other"');
    expect(model.columnsChosen).toBe(false);
    expect(model.widthOf('sys/name')).toBeUndefined();
    const again = new RunsTableModel({
      fetch,
      suggest,
      layouts: store,
      query: 'sys/project = "demo" AND parameters/lr > 0'
    });
    expect(again.columns).toEqual(expected);
    expect(again.widthOf('sys/name')).toBe(40);

    await again.resetColumns();
    expect(again.columnsChosen).toBe(false);
    expect(store.kept['demo']).toEqual({ columns: null, widths: {} });
  });

  it('reads the columns of saved views, old ones adding to the defaults', () => {
    expect(viewColumns({ columns: [] })).toBeNull();
    expect(viewColumns({ columns: ['params/lr'] })).toEqual([
      ...DEFAULT_COLUMNS,
      'params/lr'
    ]);
    expect(viewColumns({ columns: ['sys/name', 'sys/id'] })).toEqual([
      'sys/name',
      'sys/id'
    ]);
    expect(canonicalColumn(' MAX( `a b` ) ')).toBe('max(a b)');
    expect(projectOfQuery('x > 1 AND sys/project == "credit \\"x\\""')).toBe(
      'credit "x"'
    );
    expect(projectOfQuery('sys/name = "a"')).toBeNull();
  });

  it('follows the settings once loaded, but not over a view just applied', async () => {
    const { fetch } = server(3);
    const store = layouts();
    const model = new RunsTableModel({ fetch, layouts: store, query: '' });
    await model.reload();
    expect(model.columnsChosen).toBe(false);
    // The settings arrive after the table opened (a tab restored on reload).
    store.kept['*'] = { columns: ['sys/id', 'params/lr'], widths: {} };
    model.syncLayout();
    expect(model.columns).toEqual(['sys/id', 'params/lr']);
    await model.applyView({ query: '', sort: '', columns: ['sys/id', 'x'] });
    model.syncLayout(); // e.g. saving that view changes the settings
    expect(model.columns).toEqual(['sys/id', 'x']);
  });

  it("keeps the server's word that a total is estimated", async () => {
    const fetch = async (): Promise<IRunsPage> => ({
      items: [{ 'sys/id': 'A-1' }],
      total: 9988,
      total_estimated: true,
      columns: ['sys/id']
    });
    const model = new RunsTableModel({ fetch });
    await model.reload();
    expect(model.totalEstimated).toBe(true);
  });

  it('keeps the exact total of the last page over later estimates', async () => {
    const { fetch } = server(10_000, 9_800);
    const model = new RunsTableModel({ fetch, pageSize: 500 });
    await model.reload();
    expect([model.total, model.totalEstimated]).toEqual([9_800, true]);
    await model.ensure(9_000, 9_799); // pages 18 and 19, the last: its total is exact
    expect([model.total, model.totalEstimated]).toEqual([10_000, false]);
    await model.refresh(9_400, 9_499); // page 18 alone answers with the estimate
    expect([model.total, model.totalEstimated]).toEqual([10_000, false]);
    await model.setQuery('x > 1'); // another query: estimated again
    expect([model.total, model.totalEstimated]).toEqual([9_800, true]);
  });

  it('counts every run when the query matches none', async () => {
    const { calls, fetch } = server(12);
    const model = new RunsTableModel({ fetch, query: 'x > 1' });
    expect(await model.countAll()).toBe(12);
    expect(calls[0]).toMatchObject({ query: '', limit: 0 });
  });
});
