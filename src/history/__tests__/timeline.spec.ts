import { keyStep, nearestStop, stopPercent, TimelineModel } from '../timeline';
import { ICheckpoint } from '../../tokens';

/** The fields of a checkpoint the timeline reads. */
function entry(id: string, at: number): ICheckpoint {
  return { id, created_at: at, name: id, trigger: 'manual' } as ICheckpoint;
}

describe('keyStep', () => {
  it('steps with the arrows, jumps a tenth with Page keys, ends with Home/End', () => {
    expect(keyStep('ArrowLeft', 3, 10)).toBe(2);
    expect(keyStep('ArrowDown', 3, 10)).toBe(2);
    expect(keyStep('ArrowRight', 3, 10)).toBe(4);
    expect(keyStep('ArrowUp', 3, 10)).toBe(4);
    expect(keyStep('PageUp', 3, 50)).toBe(8);
    expect(keyStep('PageDown', 3, 50)).toBe(0);
    expect(keyStep('Home', 3, 10)).toBe(0);
    expect(keyStep('End', 3, 10)).toBe(9);
  });

  it('stays on the track and leaves other keys alone', () => {
    expect(keyStep('ArrowLeft', 0, 10)).toBe(0);
    expect(keyStep('ArrowRight', 9, 10)).toBe(9);
    expect(keyStep('End', 0, 0)).toBe(0);
    expect(keyStep('a', 3, 10)).toBeNull();
    expect(keyStep('Tab', 3, 10)).toBeNull();
  });
});

describe('stop positions', () => {
  it('spreads the stops from 0 to 100 percent and maps a fraction to the nearest', () => {
    expect(stopPercent(0, 5)).toBe(0);
    expect(stopPercent(2, 5)).toBe(50);
    expect(stopPercent(4, 5)).toBe(100);
    expect(stopPercent(0, 1)).toBe(100);
    expect(nearestStop(0.49, 5)).toBe(2);
    expect(nearestStop(0.1, 5)).toBe(0);
    expect(nearestStop(1.7, 5)).toBe(4);
    expect(nearestStop(-1, 5)).toBe(0);
    expect(nearestStop(0.5, 1)).toBe(0);
  });
});

describe('TimelineModel', () => {
  // The history lists newest first; the timeline runs oldest first.
  const items = [entry('c', 30), entry('b', 20), entry('a', 10)];

  it('puts "to" on the newest and "from" on the one before it', () => {
    const model = new TimelineModel();
    model.setItems(items);
    expect(model.stops.map(s => s.id)).toEqual(['a', 'b', 'c']);
    expect(model.at('to')?.id).toBe('c');
    expect(model.at('from')?.id).toBe('b');
    expect(model.active).toBe('to');
    expect(model.pair).toEqual({ base: items[1], remote: items[0] });
  });

  it('moves a handle, makes it the shown one, and signals only on change', () => {
    const model = new TimelineModel();
    model.setItems(items);
    const changed = jest.fn();
    model.changed.connect(changed);
    expect(model.move('from', 0)).toBe(true);
    expect(model.active).toBe('from');
    expect(model.at()?.id).toBe('a');
    expect(model.move('from', 0)).toBe(false);
    // Clamped to c, where "to" is: only the shown handle changes.
    expect(model.move('to', 99)).toBe(true);
    expect(model.at('to')?.id).toBe('c');
    expect(model.active).toBe('to');
    expect(model.move('to', 2)).toBe(false);
    expect(changed).toHaveBeenCalledTimes(2);
  });

  it('gives the pair older first whichever handle is ahead, none on one stop', () => {
    const model = new TimelineModel();
    model.setItems(items);
    model.move('from', 2);
    model.move('to', 0);
    expect(model.pair?.base.id).toBe('a');
    expect(model.pair?.remote.id).toBe('c');
    model.move('to', 2);
    expect(model.pair).toBeNull();
  });

  it('picks the nearer handle, the active one on a tie', () => {
    const model = new TimelineModel();
    model.setItems([...items, entry('z', 1), entry('y', 0)]);
    // stops y z a b c; from = b (3), to = c (4)
    expect(model.nearest(0)).toBe('from');
    expect(model.nearest(4)).toBe('to');
    model.move('from', 0);
    expect(model.nearest(2)).toBe('from'); // tie: 2 from both, active is "from"
  });

  it('keeps each handle on its checkpoint when a new one arrives', () => {
    const model = new TimelineModel();
    model.setItems(items);
    model.move('to', 0);
    const changed = jest.fn();
    model.changed.connect(changed);
    model.setItems([entry('d', 40), ...items]);
    expect(model.at('to')?.id).toBe('a');
    expect(model.at('from')?.id).toBe('b');
    expect(changed).toHaveBeenCalledTimes(1);
    // The same items again (a poll with nothing new): no signal.
    model.setItems([entry('d', 40), ...items]);
    expect(changed).toHaveBeenCalledTimes(1);
  });

  it('starts afresh when its checkpoints are gone (another notebook)', () => {
    const model = new TimelineModel();
    model.setItems(items);
    model.setItems([entry('q', 5), entry('p', 4)]);
    expect(model.at('to')?.id).toBe('q');
    expect(model.at('from')?.id).toBe('p');
    model.setItems([]);
    expect(model.at()).toBeNull();
    expect(model.pair).toBeNull();
  });

  it("puts the shown handle on a restored preview's checkpoint, now or once listed", () => {
    const model = new TimelineModel();
    // Restored before the history is fetched: pinned until the stops hold it.
    model.showing('b');
    model.setItems(items);
    expect(model.at()?.id).toBe('b');
    expect(model.active).toBe('to');
    expect(model.pair).toEqual({ base: items[2], remote: items[1] });
    // Listed already: at once.
    model.showing('a');
    expect(model.at()?.id).toBe('a');
    // A move by the user wins over a checkpoint not listed yet.
    model.showing('z');
    model.move('to', 2);
    model.setItems([entry('z', 4), ...items]);
    expect(model.at()?.id).toBe('c');
  });
});
