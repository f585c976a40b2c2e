/**
 * The top of the run view as DOM: both checkpoints, the lineage, the summary and the cells
 * table, every word through the translation bundle (run strings are data, as text).
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { defaultTrans } from '../../i18n';
import { ICheckpoint } from '../../tokens';
import { lineageBlock, notebookBlock, summaryBlock } from '../header';
import { cellsTable, firstLines } from '../sections';

const plain = defaultTrans();
/** A bundle that marks what it translates: «text». */
const marking = {
  ...plain,
  __: (s: string, ...a: unknown[]) => `«${plain.__(s, ...(a as never[]))}»`,
  _n: (one: string, many: string, n: number, ...a: unknown[]) =>
    `«${plain._n(one, many, n, ...(a as never[]))}»`
} as TranslationBundle;

/** Text nodes neither marked nor one of `data`. */
function untranslated(node: HTMLElement, data: string[]): string[] {
  const out: string[] = [];
  const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = (n.textContent ?? '').trim();
    if (text && !/^«.*»$/s.test(text) && !data.includes(text)) {
      out.push(text);
    }
  }
  return out;
}

function checkpoint(id: string, name: string): ICheckpoint {
  return {
    id,
    name,
    notebook_path: 'demo.ipynb',
    created_at: 0,
    trigger: 'run'
  } as unknown as ICheckpoint;
}

describe('notebookBlock', () => {
  it('shows both checkpoints, each opening its own', () => {
    const opened: string[] = [];
    const node = notebookBlock(
      checkpoint('start-id', 'baseline'),
      checkpoint('end-id', ''),
      { open: id => opened.push(id), diffCurrent: () => undefined },
      marking
    )!;
    const rows = node.querySelectorAll('.jp-mltrack-run-checkpoint');
    expect(Array.from(rows).map(r => (r as HTMLElement).dataset.kind)).toEqual([
      'start',
      'end'
    ]);
    expect(rows[0].textContent).toContain('«Code when started»');
    expect(rows[1].textContent).toContain('«Notebook with results»');
    rows.forEach(r =>
      (r.querySelector('.jp-mltrack-open-checkpoint') as HTMLElement).click()
    );
    expect(opened).toEqual(['start-id', 'end-id']);
    expect(untranslated(node, ['demo.ipynb', 'baseline'])).toEqual([]);
  });

  it('says the end checkpoint is still to come, and nothing without a notebook', () => {
    const actions = { open: () => undefined, diffCurrent: () => undefined };
    const node = notebookBlock(checkpoint('s', ''), null, actions, marking)!;
    expect(node.querySelector('[data-kind="end"]')!.textContent).toContain(
      '«not yet: taken when the run stops»'
    );
    expect(notebookBlock(null, null, actions, marking)).toBeNull();
  });
});

describe('lineageBlock', () => {
  it('links the parent with the fork step, and the forks', () => {
    const opened: string[] = [];
    const node = lineageBlock(
      {
        parent: { id: 'RUN-1', name: 'main', state: 'finished' },
        step: 20,
        children: [{ id: 'RUN-3', name: 'fork', step: 5 }]
      },
      id => opened.push(id),
      marking
    )!;
    expect(node.querySelector('.jp-mltrack-run-parent')!.textContent).toBe(
      '«Forked from»main (RUN-1)«at step 20»'
    );
    node.querySelectorAll('a').forEach(a => (a as HTMLAnchorElement).click());
    expect(opened).toEqual(['RUN-1', 'RUN-3']);
    expect(untranslated(node, ['main (RUN-1)', 'fork (RUN-3)'])).toEqual([]);
  });

  it('is nothing for a run that is neither fork nor parent', () => {
    expect(
      lineageBlock({ parent: null, step: null, children: [] }, () => undefined)
    ).toBeNull();
    expect(lineageBlock(undefined, () => undefined)).toBeNull();
  });
});

describe('summaryBlock and cellsTable', () => {
  it('translate their words; run values are data', () => {
    const summary = summaryBlock(
      {
        params: [
          {
            path: 'params/lr',
            type: 'float',
            updated_at: 0,
            kind: 'param',
            value: 0.1
          }
        ],
        metrics: [
          {
            path: 'train/loss',
            type: 'float_series',
            updated_at: 0,
            kind: 'metric',
            last: 0.25,
            count: 3,
            min: 0.25,
            max: 1
          }
        ]
      },
      marking
    );
    expect(
      untranslated(summary, ['params/lr', '0.1', 'train/loss', '0.25'])
    ).toEqual([]);
    const table = cellsTable(
      [
        {
          cell_id: 'c1',
          execution_count: 3,
          started_at: null,
          ended_at: null,
          peak_rss: null,
          peak_gpu_memory: null,
          error: false,
          series: [
            { path: 'train/loss', count: 2, first_step: 0, last_step: 1 }
          ]
        }
      ],
      marking
    );
    expect(table.textContent).toContain('train/loss: «2 points», «steps 0–1»');
    expect(
      untranslated(table, ['[3]', 'train/loss: «2 points», «steps 0–1»'])
    ).toEqual([]);
  });
});

describe('firstLines', () => {
  it("gives each cell id its code's first non-blank line, cut to a width", () => {
    const lines = firstLines(
      {
        cells: [
          { id: 'a', source: ['\n', 'def sigmoid(z):\n', '    return z'] },
          { id: 'b', source: 'x = 1  # ' + 'long '.repeat(20) },
          { source: 'no id' }
        ]
      },
      20
    );
    expect(Array.from(lines.entries())).toEqual([
      ['a', 'def sigmoid(z):'],
      ['b', 'x = 1  # long long…']
    ]);
  });
});
