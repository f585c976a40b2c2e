import { StoreStatusModel } from '../status';
import { IHealth } from '../../tokens';

const HEALTH: IHealth = {
  version: '0.1.0',
  store: 'sqlite:////root/.local/share/jupyter/mltrack/mltrack.db',
  blob_root: '/root/.local/share/jupyter/mltrack/blobs',
  schema_revision: '0001',
  backend: 'sqlite'
};

/** A promise the test resolves or rejects by hand, to order overlapping refreshes. */
function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('StoreStatusModel', () => {
  it('shows nothing before the first refresh', () => {
    const model = new StoreStatusModel({
      fetchHealth: () => Promise.resolve(HEALTH)
    });
    expect(model.status).toBe('idle');
    expect(model.storeUrl).toBe('');
    expect(model.schemaRevision).toBe('');
  });

  it('turns a health answer into the store and revision', async () => {
    const model = new StoreStatusModel({
      fetchHealth: () => Promise.resolve(HEALTH)
    });
    const seen: string[] = [];
    model.changed.connect(() => seen.push(model.status));

    await model.refresh();

    expect(seen).toEqual(['loading', 'ready']);
    expect(model.status).toBe('ready');
    expect(model.storeUrl).toBe(HEALTH.store);
    expect(model.schemaRevision).toBe('0001');
    expect(model.statusText).toBe(
      'Connected: sqlite store, jupyter-mltrack 0.1.0'
    );
    expect(model.errorMessage).toBe('');
  });

  it('turns a failed request into an error state with the server message', async () => {
    const model = new StoreStatusModel({
      fetchHealth: () => Promise.reject(new Error('store is locked'))
    });

    await expect(model.refresh()).resolves.toBeUndefined();

    expect(model.status).toBe('error');
    expect(model.errorMessage).toBe('store is locked');
    expect(model.statusText).toBe(
      'Cannot reach the ML Track server extension: store is locked'
    );
    expect(model.storeUrl).toBe('');
  });

  it('recovers from an error on the next successful refresh', async () => {
    let fail = true;
    const model = new StoreStatusModel({
      fetchHealth: () =>
        fail ? Promise.reject('offline') : Promise.resolve(HEALTH)
    });

    await model.refresh();
    expect(model.statusText).toBe(
      'Cannot reach the ML Track server extension: offline'
    );

    fail = false;
    await model.refresh();
    expect(model.status).toBe('ready');
    expect(model.errorMessage).toBe('');
    expect(model.storeUrl).toBe(HEALTH.store);
  });

  it('keeps the answer of the latest refresh when two overlap', async () => {
    const first = deferred<IHealth>();
    const second = deferred<IHealth>();
    const answers = [first.promise, second.promise];
    const model = new StoreStatusModel({ fetchHealth: () => answers.shift()! });

    const slow = model.refresh();
    const fast = model.refresh();
    second.resolve({ ...HEALTH, schema_revision: '0002' });
    await fast;
    first.reject(new Error('stale failure'));
    await slow;

    expect(model.status).toBe('ready');
    expect(model.schemaRevision).toBe('0002');
  });

  it('stops emitting once disposed', async () => {
    const model = new StoreStatusModel({
      fetchHealth: () => Promise.resolve(HEALTH)
    });
    const listener = jest.fn();
    model.changed.connect(listener);
    model.dispose();

    await model.refresh();

    expect(model.isDisposed).toBe(true);
    expect(listener).not.toHaveBeenCalled();
  });
});
