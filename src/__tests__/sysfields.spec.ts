/**
 * The lab's sys fields come from the Python registry (generated/sysfields.json): the grid,
 * the cell formats and the labels follow it, and the columns the server always returns are
 * the lab's defaults (before, `sys/ending_time` was missing here: its header got a × that
 * removed nothing, and it had no width).
 */
import { Widget } from '@lumino/widgets';

import { IRunsPage } from '../runs/api';
import { columnLabel, formatCell, formatTime } from '../runs/format';
import { RunsGrid } from '../runs/grid';
import { RunsTableModel } from '../runs/model';
import {
  DEFAULT_COLUMNS,
  LISTED_SYS_FIELDS,
  SYS_FIELDS,
  sysField
} from '../sysfields';

/** What `GET runs` answers without extra columns (jupyter_mltrack/query/table.py). */
const SERVER_DEFAULTS = [
  'sys/id',
  'sys/name',
  'sys/state',
  'sys/owner',
  'sys/creation_time',
  'sys/ending_time',
  'sys/duration',
  'sys/tags',
  'source_code/notebook'
];

describe('sys fields from the registry', () => {
  it('default to the columns the server always returns', () => {
    expect(DEFAULT_COLUMNS).toEqual(SERVER_DEFAULTS);
  });

  it('give every column but the id a remove button (a user may hide sys columns)', async () => {
    const fetch = async (): Promise<IRunsPage> => ({
      items: [{ 'sys/id': 'R-1', 'sys/ending_time': 1700000000 }],
      total: 1,
      columns: [...SERVER_DEFAULTS, 'params/lr']
    });
    const model = new RunsTableModel({ fetch });
    await model.reload();
    const grid = new RunsGrid({
      model,
      openRun: () => undefined,
      openCheckpoint: () => undefined,
      removeColumn: () => undefined
    });
    Widget.attach(grid, document.body);
    grid.render();
    const headers = Array.from(
      grid.node.querySelectorAll('.jp-mltrack-grid-hcell')
    ) as HTMLElement[];
    const fixed = headers
      .filter(h => !h.querySelector('.jp-mltrack-remove-column'))
      .map(h => h.dataset.column);
    expect(fixed).toEqual(['sys/id']);
    expect(headers.length).toBeGreaterThan(3);
    const ended = grid.node.querySelector(
      '.jp-mltrack-grid-hcell[data-column="sys/ending_time"]'
    )!;
    expect(ended.firstElementChild?.textContent).toBe('ended');
    grid.dispose();
  });

  it('format times, durations and labels by the field type', () => {
    for (const f of SYS_FIELDS.filter(f => f.type === 'time')) {
      expect(formatCell(f.path, 1700000000)).toBe(formatTime(1700000000));
    }
    expect(formatCell('sys/duration', 3725)).toBe('1h 02m');
    expect(columnLabel('sys/creation_time')).toBe('created');
    expect(columnLabel('params/lr')).toBe('params/lr');
    expect(sysField('sys/modification_time')?.aliasOf).toBe('sys/ping_time');
    expect(LISTED_SYS_FIELDS.map(f => f.path)).not.toContain(
      'sys/modification_time'
    );
  });
});
