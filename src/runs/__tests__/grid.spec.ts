import { Widget } from '@lumino/widgets';

import { IRunsPage, IRunsQuery } from '../api';
import { RunsTableModel } from '../model';
import { columnWidth, notebookCell, ROW_HEIGHT, RunsGrid } from '../grid';

async function grid(n: number) {
  const fetch = async (q: IRunsQuery): Promise<IRunsPage> => {
    const items = [];
    for (
      let i = q.offset ?? 0;
      i < Math.min(n, (q.offset ?? 0) + (q.limit ?? 0));
      i++
    ) {
      items.push({
        'sys/id': `R-${i}`,
        'sys/name': `<img src=x onerror=alert(${i})>`
      });
    }
    return { items, total: n, columns: ['sys/id', 'sys/name'] };
  };
  const model = new RunsTableModel({ fetch });
  await model.reload();
  const opened: string[] = [];
  const widget = new RunsGrid({
    model,
    openRun: id => opened.push(id),
    openCheckpoint: () => undefined,
    removeColumn: column => void model.removeColumn(column)
  });
  Widget.attach(widget, document.body);
  return { model, widget, opened };
}

describe('RunsGrid', () => {
  it('draws only the rows in view, as text', async () => {
    const { widget } = await grid(10_000);
    widget.render();
    const rows = widget.node.querySelectorAll('.jp-mltrack-grid-row');
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.length).toBeLessThan(60);
    const spacer = widget.node.querySelector(
      '.jp-mltrack-grid-spacer'
    ) as HTMLElement;
    expect(spacer.style.height).toBe(`${10_000 * ROW_HEIGHT}px`);
    const name = rows[0].querySelector('[data-column="sys/name"]')!;
    expect(name.textContent).toBe('<img src=x onerror=alert(0)>');
    expect(widget.node.querySelector('img')).toBeNull();
    widget.dispose();
  });

  it('selects with clicks and the arrow keys, opens with Enter and the id link', async () => {
    const { model, widget, opened } = await grid(20);
    widget.render();
    const cell = (row: number, column: string) =>
      widget.node.querySelector(
        `.jp-mltrack-grid-row[data-index="${row}"] [data-column="${column}"]`
      ) as HTMLElement;
    cell(1, 'sys/name').click();
    expect(model.selected).toEqual(['R-1']);
    widget.node.dispatchEvent(
      new KeyboardEvent('keydown', { key: 'ArrowDown', shiftKey: true })
    );
    expect(model.selected.sort()).toEqual(['R-1', 'R-2']);
    widget.node.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    expect(opened.sort()).toEqual(['R-1', 'R-2']);
    widget.render();
    cell(3, 'sys/id').click();
    expect(opened[opened.length - 1]).toBe('R-3');
    widget.dispose();
  });

  it('sorts on a header click', async () => {
    const { model, widget } = await grid(5);
    widget.render();
    (
      widget.node.querySelector(
        '[data-column="sys/name"].jp-mltrack-grid-hcell'
      ) as HTMLElement
    ).click();
    expect(model.sort).toBe('sys/name');
    widget.dispose();
  });
});

describe('grid cells', () => {
  it("names the notebook, keeps the checkpoint for the link's tooltip", () => {
    expect(
      notebookCell({
        'source_code/notebook': 'ab12cd',
        'sys/notebook_path': 'work/demo.ipynb'
      })
    ).toEqual({ text: 'demo.ipynb', title: 'work/demo.ipynb @ ab12cd' });
    expect(notebookCell({ 'source_code/notebook': 'ab12cd' })).toEqual({
      text: 'ab12cd',
      title: 'ab12cd'
    });
    expect(notebookCell({ 'sys/notebook_path': 'x.ipynb' }).text).toBe('');
  });

  it('sizes a field column to its path, within bounds', () => {
    expect(columnWidth('sys/name')).toBe(180);
    expect(columnWidth('metrics/test_accuracy')).toBeGreaterThan(
      columnWidth('params/lr')
    );
    expect(columnWidth('a/' + 'x'.repeat(200))).toBe(240);
  });
});

describe('grid header from the keyboard', () => {
  it('moves, resizes, sorts and removes columns', async () => {
    const { model, widget } = await grid(3);
    widget.render();
    const header = (column: string) =>
      widget.node.querySelector(
        `.jp-mltrack-grid-hcell[data-column="${column}"]`
      ) as HTMLElement;
    const key = (column: string, init: KeyboardEventInit) =>
      header(column).dispatchEvent(
        new KeyboardEvent('keydown', { bubbles: true, ...init })
      );
    key('sys/state', { key: 'ArrowLeft', altKey: true });
    expect(model.columns.slice(0, 3)).toEqual([
      'sys/id',
      'sys/state',
      'sys/name'
    ]);
    expect(document.activeElement).toBe(header('sys/state'));
    key('sys/state', { key: 'ArrowRight', altKey: true, shiftKey: true });
    expect(model.widthOf('sys/state')).toBe(104);
    key('sys/owner', { key: 'Delete' });
    expect(model.columns).not.toContain('sys/owner');
    key('sys/name', { key: 'Enter' });
    await new Promise(r => setTimeout(r, 0));
    expect(model.sort).toBe('sys/name');
    widget.dispose();
  });
});
