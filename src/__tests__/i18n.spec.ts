/**
 * Every word the user reads goes through the translation bundle handed to the widgets. A
 * bundle that marks its output («…») shows what did not: each text and label of the
 * history sidebar and of the runs table tab must be marked, or be data from the server.
 */
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { describeChanges } from '../diff/filter';
import { HistoryModel, HistorySidebar, StoreStatusModel } from '../history';
import { changesText, displayName } from '../history/item';
import { IRunsPage } from '../runs/api';
import { RunsTableModel } from '../runs/model';
import { ViewsStore } from '../runs/savedViews';
import { RunsTableView } from '../runs/tableView';
import { formatAbsolute, formatRelative } from '../time';
import { ICheckpoint, IHealth } from '../tokens';

const plain = nullTranslator.load('jupyter_mltrack');
const mark = (text: string): string => `«${text}»`;

/** A bundle that translates English into «English». */
const marking: TranslationBundle = {
  __: (id, ...args) => mark(plain.__(id, ...args)),
  _n: (one, many, n, ...args) => mark(plain._n(one, many, n, ...args)),
  _p: (ctx, id, ...args) => mark(plain._p(ctx, id, ...args)),
  _np: (ctx, one, many, n, ...args) =>
    mark(plain._np(ctx, one, many, n, ...args)),
  gettext: (id, ...args) => mark(plain.gettext(id, ...args)),
  ngettext: (one, many, n, ...args) =>
    mark(plain.ngettext(one, many, n, ...args)),
  pgettext: (ctx, id, ...args) => mark(plain.pgettext(ctx, id, ...args)),
  npgettext: (ctx, one, many, n, ...args) =>
    mark(plain.npgettext(ctx, one, many, n, ...args)),
  dcnpgettext: (domain, ctx, one, many, n, ...args) =>
    mark(plain.dcnpgettext(domain, ctx, one, many, n, ...args))
};

/** Texts, titles, labels and placeholders under `root` that are not marked nor `data`. */
function untranslated(root: HTMLElement, data: string[]): string[] {
  const found: string[] = [];
  const check = (text: string | null | undefined): void => {
    const t = (text ?? '').trim();
    // Text with no letter in it (an arrow, a sort mark, a number) has nothing to translate.
    const words = /\p{L}/u.test(t);
    if (words && !t.includes('«') && !data.some(d => t === d.trim())) {
      found.push(t);
    }
  };
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    check(walker.currentNode.textContent);
  }
  root.querySelectorAll('*').forEach(node => {
    for (const name of ['title', 'aria-label', 'placeholder']) {
      check(node.getAttribute(name));
    }
  });
  return found;
}

const HEALTH: IHealth = {
  version: '0.1.0',
  store: 'sqlite:////tmp/mltrack.db',
  blob_root: '/tmp/blobs',
  schema_revision: '0001',
  backend: 'sqlite'
};

const ENTRY: ICheckpoint = {
  id: 'abcdef0123456789',
  notebook_path: 'train.ipynb',
  captured_path: 'train.ipynb',
  notebook_deleted: false,
  seq: 1,
  parent_id: null,
  validation_warning: null,
  created_at: Date.now() / 1000 - 10,
  name: '',
  description: 'tuned',
  trigger: 'save',
  author: 'ada',
  size: 10,
  changes: { added: 1, removed: 0, modified: 2 },
  runs: [{ id: 'RUN-1', state: 'running', project: 'p' }]
};

describe('translation', () => {
  afterEach(() => document.body.replaceChildren());

  it('runs every word of the history sidebar through the bundle', async () => {
    const model = new StoreStatusModel({
      fetchHealth: async () => HEALTH,
      trans: marking
    });
    const history = new HistoryModel({
      list: async () => ({ items: [ENTRY], total: 1 }),
      pollInterval: 0,
      trans: marking
    });
    const sidebar = new HistorySidebar({
      model,
      history,
      commands: new CommandRegistry(),
      saveEdit: async () => undefined,
      trans: marking
    });
    Widget.attach(sidebar, document.body);
    history.path = 'train.ipynb';
    await history.refresh();
    await model.refresh();

    const data = [
      HEALTH.store,
      HEALTH.schema_revision ?? '',
      ENTRY.description,
      ENTRY.notebook_path,
      'RUN-1 running',
      formatAbsolute(ENTRY.created_at),
      '—'
    ];
    expect(untranslated(sidebar.node, data)).toEqual([]);
    // And the list's chrome is there to be checked.
    expect(sidebar.node.textContent).toContain('«Compare»');
    expect(sidebar.node.textContent).toContain('«just now»');
    expect(sidebar.node.textContent).toContain('«Connected: sqlite store');

    history.path = null;
    expect(untranslated(sidebar.node, data)).toEqual([]);
    sidebar.dispose();
  });

  it('runs every word of the runs table tab through the bundle', async () => {
    const fetch = async (): Promise<IRunsPage> => ({
      items: [{ 'sys/id': 'RUN-1', 'sys/name': 'baseline' }],
      total: 1,
      columns: ['sys/id', 'sys/name']
    });
    const model = new RunsTableModel({ fetch });
    const view = new RunsTableView({
      model,
      views: new ViewsStore(),
      paths: async () => [],
      openRun: () => undefined,
      openCheckpoint: () => undefined,
      compare: () => undefined,
      trans: marking
    });
    Widget.attach(view, document.body);
    await model.reload();
    view.grid.render();
    model.select(0);

    const data = ['RUN-1', 'baseline', '×'];
    expect(untranslated(view.node, data)).toEqual([]);
    expect(view.node.textContent).toContain('«1 runs, 1 selected»');
    view.dispose();
  });

  it('translates the texts built by the pure helpers', () => {
    expect(displayName(ENTRY, marking)).toBe('«Checkpoint abcdef01»');
    expect(changesText(ENTRY, marking)).toBe('«+1 −0 ~2 cells»');
    expect(
      describeChanges(
        { added: 0, removed: 0, modified: 0, metadata: true },
        marking
      )
    ).toBe('«No cell changed»«; notebook metadata changed»');
    expect(formatRelative('garbage', Date.now(), marking)).toBe(
      '«unknown time»'
    );
    // The English source without a bundle, as before.
    expect(changesText(ENTRY)).toBe('+1 −0 ~2 cells');
  });
});
