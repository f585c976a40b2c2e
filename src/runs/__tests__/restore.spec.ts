import { IRunsPage, IRunsQuery } from '../api';
import { DEFAULT_SORT, RunsTableModel } from '../model';

/** A fake server over RUN-0..RUN-4 that records the sorts asked for. */
function server() {
  const sorts: (string | undefined)[] = [];
  const fetch = async (q: IRunsQuery): Promise<IRunsPage> => {
    sorts.push(q.sort);
    const items = [0, 1, 2, 3, 4].map(i => ({ 'sys/id': `RUN-${i}` }));
    return {
      items,
      total: items.length,
      columns: ['sys/id']
    } as unknown as IRunsPage;
  };
  return { fetch, sorts };
}

describe('a restored runs table', () => {
  it('loads with the sort it was left with', async () => {
    const { fetch, sorts } = server();
    const model = new RunsTableModel({ fetch, query: '', sort: '-sys/name' });
    expect(model.sort).toBe('-sys/name');
    await model.reload();
    expect(sorts).toEqual(['-sys/name']);
    expect(new RunsTableModel({ fetch, sort: ' ' }).sort).toBe(DEFAULT_SORT);
  });

  it('selects the runs it was left with, loaded or not', async () => {
    const { fetch } = server();
    const model = new RunsTableModel({ fetch });
    let repaints = 0;
    model.changed.connect(() => repaints++);
    model.selectIds(['RUN-3', 'RUN-9']);
    expect(model.selected).toEqual(['RUN-3', 'RUN-9']);
    expect(repaints).toBe(1);
    await model.reload();
    expect(model.isSelected('RUN-3')).toBe(true);
    expect(model.cursor).toBeNull();
  });
});
