import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { HistoryModel, HistorySidebar, StoreStatusModel } from '..';
import { changesText, displayName } from '../item';
import { ICheckpoint, IHealth } from '../../tokens';

const HEALTH: IHealth = {
  version: '0.1.0',
  store: 'sqlite:////tmp/<img src=x onerror=alert(1)>/mltrack.db',
  blob_root: '/tmp/blobs',
  schema_revision: '0001',
  backend: 'sqlite'
};

const XSS =
  '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>';

function entry(id: string, extra: Partial<ICheckpoint> = {}): ICheckpoint {
  return {
    id,
    notebook_path: 'train.ipynb',
    captured_path: 'train.ipynb',
    notebook_deleted: false,
    seq: 1,
    parent_id: null,
    validation_warning: null,
    created_at: Date.now() / 1000 - 120,
    name: '',
    description: '',
    trigger: 'manual',
    author: 'ada',
    size: 10,
    changes: { added: 1, removed: 0, modified: 2 },
    runs: [],
    ...extra
  };
}

async function setup(
  items: ICheckpoint[],
  fetchHealth: () => Promise<IHealth> = () => Promise.resolve(HEALTH)
) {
  const model = new StoreStatusModel({ fetchHealth });
  const history = new HistoryModel({
    list: async () => ({ items, total: items.length }),
    pollInterval: 0
  });
  const saveEdit = jest.fn(async () => undefined);
  const commands = new CommandRegistry();
  const sidebar = new HistorySidebar({ model, history, commands, saveEdit });
  Widget.attach(sidebar, document.body);
  history.path = 'train.ipynb';
  await history.refresh();
  await model.refresh();
  return { sidebar, model, history, saveEdit, commands };
}

describe('HistorySidebar', () => {
  afterEach(() => {
    document.body.replaceChildren();
  });

  it('renders store URLs, names and descriptions as text, never as HTML', async () => {
    const { sidebar } = await setup([
      entry('c1', {
        name: XSS,
        description: XSS,
        runs: [{ id: XSS, state: 'running', project: 'p' }]
      })
    ]);

    expect(sidebar.node.querySelector('.jp-mltrack-store')?.textContent).toBe(
      HEALTH.store
    );
    expect(sidebar.node.querySelector('.jp-mltrack-name')?.textContent).toBe(
      XSS
    );
    expect(
      sidebar.node.querySelector('.jp-mltrack-description')?.textContent
    ).toBe(XSS);
    expect(sidebar.node.querySelector('img')).toBeNull();
    expect(sidebar.node.querySelector('script')).toBeNull();
    sidebar.dispose();
  });

  it('shows trigger, changes, relative time and run badges of an entry', async () => {
    const { sidebar } = await setup([
      entry('c1', {
        trigger: 'run',
        runs: [
          { id: 'CRED-1', state: 'running', project: 'p' },
          { id: 'CRED-2', state: 'failed', project: 'p' }
        ]
      })
    ]);
    const item = sidebar.node.querySelector<HTMLElement>(
      '.jp-mltrack-checkpoint'
    )!;

    expect(item.dataset.trigger).toBe('run');
    expect(
      item.querySelector('.jp-mltrack-trigger')?.getAttribute('aria-label')
    ).toMatch(/run started/);
    expect(item.querySelector('.jp-mltrack-changes')?.textContent).toBe(
      '+1 −0 ~2 cells'
    );
    expect(item.querySelector('.jp-mltrack-time')?.textContent).toBe(
      '2 minutes ago'
    );
    const badges = Array.from(
      item.querySelectorAll<HTMLElement>('.jp-mltrack-run')
    );
    expect(badges.map(b => [b.textContent, b.dataset.state])).toEqual([
      ['CRED-1 running', 'running'],
      ['CRED-2 failed', 'failed']
    ]);
    sidebar.dispose();
  });

  it('says what to do when the notebook has no checkpoint', async () => {
    const { sidebar } = await setup([]);
    const empty = sidebar.node.querySelector<HTMLElement>('.jp-mltrack-empty')!;
    expect(empty.hidden).toBe(false);
    expect(empty.textContent).toMatch(/No checkpoints of this notebook yet/);
    sidebar.dispose();
  });

  it('renames inline: Enter saves through saveEdit, Escape cancels', async () => {
    const { sidebar, saveEdit } = await setup([entry('c1', { name: 'old' })]);

    sidebar.edit('c1', 'name');
    let input = sidebar.node.querySelector<HTMLInputElement>(
      'input.jp-mltrack-edit'
    )!;
    expect(input.value).toBe('old');
    input.value = 'baseline';
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(saveEdit).toHaveBeenCalledWith('c1', 'name', 'baseline');
    expect(sidebar.node.querySelector('input.jp-mltrack-edit')).toBeNull();

    sidebar.edit('c1', 'description');
    input = sidebar.node.querySelector<HTMLInputElement>(
      'textarea.jp-mltrack-edit'
    )!;
    input.value = 'never saved';
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(saveEdit).toHaveBeenCalledTimes(1);
    sidebar.dispose();
  });

  it('enables "Compare selected" once two entries are picked', async () => {
    const { sidebar, history } = await setup([
      entry('a'),
      entry('b'),
      entry('c')
    ]);
    const compare = sidebar.node.querySelector<HTMLButtonElement>(
      '.jp-mltrack-compare-selected'
    )!;
    const boxes = () =>
      Array.from(
        sidebar.node.querySelectorAll<HTMLInputElement>('.jp-mltrack-select')
      );
    expect(compare.disabled).toBe(true);

    boxes()[0].click();
    boxes()[2].click();

    expect(history.selection).toEqual(['a', 'c']);
    expect(compare.disabled).toBe(false);
    expect(boxes().map(b => b.checked)).toEqual([true, false, true]);
    sidebar.dispose();
  });

  it('shows the error and a retry button when the server is unreachable', async () => {
    const fetchHealth = jest
      .fn<Promise<IHealth>, []>()
      .mockRejectedValueOnce(new Error('404 Not Found'))
      .mockResolvedValueOnce(HEALTH);
    const { sidebar, model } = await setup([], fetchHealth);

    const status = sidebar.node.querySelector('.jp-mltrack-status');
    const retry =
      sidebar.node.querySelector<HTMLButtonElement>('.jp-mltrack-retry');
    expect(status?.textContent).toBe(
      'Cannot reach the ML Track server extension: 404 Not Found'
    );
    expect(retry?.hidden).toBe(false);

    retry?.click();
    await new Promise(resolve => setTimeout(resolve, 0));

    expect(fetchHealth).toHaveBeenCalledTimes(2);
    expect(model.status).toBe('ready');
    expect(retry?.hidden).toBe(true);
    sidebar.dispose();
  });
});

describe('item text', () => {
  it('names unnamed checkpoints by their id and counts changes', () => {
    expect(displayName(entry('0123456789ab'))).toBe('Checkpoint 01234567');
    expect(displayName(entry('x', { name: 'baseline' }))).toBe('baseline');
    expect(
      changesText(
        entry('x', { changes: { added: 0, removed: 0, modified: 0 } })
      )
    ).toBe('no cell changed');
  });
});

describe('the run badge of a checkpoint', () => {
  it('is a button that opens the run', async () => {
    const { sidebar, commands } = await setup([
      entry('c1', {
        trigger: 'run',
        runs: [{ id: 'CRED-7', state: 'finished', project: 'p' }]
      })
    ]);
    const opened: string[] = [];
    commands.addCommand('mltrack:open-run', {
      execute: args => void opened.push(String(args.id))
    });
    const badge = sidebar.node.querySelector<HTMLElement>('.jp-mltrack-run')!;
    expect(badge.tagName).toBe('BUTTON');
    badge.click();
    expect(opened).toEqual(['CRED-7']);
    sidebar.dispose();
  });
});
