import { CommandRegistry } from '@lumino/commands';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { MLTrackService } from '../service';
import {
  CommandIDs,
  CURRENT,
  ICheckpoint,
  ICreateCheckpoint,
  RunsCommandIDs
} from '../tokens';

const ENTRY: ICheckpoint = {
  id: 'c1',
  notebook_path: 'train.ipynb',
  captured_path: 'train.ipynb',
  notebook_deleted: false,
  seq: 1,
  parent_id: null,
  validation_warning: null,
  created_at: 1,
  name: 'from another extension',
  description: '',
  trigger: 'api',
  author: 'ada',
  size: 1,
  changes: { added: 0, removed: 0, modified: 0 },
  runs: []
};

/** The commands IMLTrack opens tabs with, recording what they were asked. */
function setup(dirty: boolean) {
  const events: string[] = [];
  const calls: [string, ReadonlyPartialJSONObject][] = [];
  const commands = new CommandRegistry();
  for (const id of [
    CommandIDs.compare,
    CommandIDs.open,
    RunsCommandIDs.openRun
  ]) {
    commands.addCommand(id, { execute: args => void calls.push([id, args]) });
  }
  const panel = {
    context: {
      path: 'train.ipynb',
      model: { dirty },
      save: async () => void events.push('save')
    }
  } as never;
  const created: ICreateCheckpoint[] = [];
  const service = new MLTrackService({
    commands,
    notebookAt: path => (path === 'train.ipynb' ? panel : null),
    checkpointed: entry => void events.push(`checkpointed ${entry.id}`),
    rest: {
      createCheckpoint: async body => {
        events.push('post');
        created.push(body);
        return ENTRY;
      },
      listCheckpoints: async query => ({ items: [ENTRY], total: 1 }),
      listRuns: async query => ({ items: [], total: 0, columns: [] })
    }
  });
  return { service, events, calls, created };
}

describe('MLTrackService (the IMLTrack token)', () => {
  it('saves an open notebook with unsaved changes, then checkpoints it as "api"', async () => {
    const { service, events, created } = setup(true);
    const entry = await service.checkpoint({
      path: 'train.ipynb',
      name: 'from another extension'
    });
    expect(entry.id).toBe('c1');
    expect(events).toEqual(['save', 'post', 'checkpointed c1']);
    expect(created).toEqual([
      { path: 'train.ipynb', name: 'from another extension', trigger: 'api' }
    ]);
  });

  it('does not save a notebook without changes, and keeps a given trigger', async () => {
    const { service, events, created } = setup(false);
    await service.checkpoint({ path: 'train.ipynb', trigger: 'manual' });
    await service.checkpoint({ path: 'closed.ipynb' });
    expect(events.filter(e => e === 'save')).toEqual([]);
    expect(created.map(c => c.trigger)).toEqual(['manual', 'api']);
  });

  it('opens diffs, checkpoints and runs through the commands', async () => {
    const { service, calls } = setup(false);
    await service.openDiff('a');
    await service.openDiff('a', 'b');
    await service.openDiff('a', CURRENT, 'train.ipynb');
    await service.openCheckpoint('a');
    await service.openRun('RUN-1');
    expect(calls).toEqual([
      [CommandIDs.compare, { base: 'a', remote: CURRENT }],
      [CommandIDs.compare, { base: 'a', remote: 'b' }],
      [CommandIDs.compare, { base: 'a', remote: CURRENT, path: 'train.ipynb' }],
      [CommandIDs.open, { id: 'a' }],
      [RunsCommandIDs.openRun, { id: 'RUN-1' }]
    ]);
  });

  it('lists checkpoints and runs through the REST calls', async () => {
    const { service } = setup(false);
    expect((await service.listCheckpoints()).items).toEqual([ENTRY]);
    expect(
      (await service.listRuns({ query: 'sys/state = "running"' })).total
    ).toBe(0);
  });
});
