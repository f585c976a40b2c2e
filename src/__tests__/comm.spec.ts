import { ServerConnection } from '@jupyterlab/services';

import { createCheckpoint } from '../api';
import { answerRequest, COMM_TARGET, IKernelRequest, register } from '../comm';
import { ICheckpoint, ICreateCheckpoint } from '../tokens';

/** What the server answers to a POST: the new entry. */
const CREATED: ICheckpoint = {
  id: 'k3y9',
  notebook_path: 'work/train.ipynb',
  captured_path: 'work/train.ipynb',
  notebook_deleted: false,
  seq: 1,
  parent_id: null,
  validation_warning: null,
  created_at: 1,
  name: '',
  description: '',
  trigger: 'run',
  author: 'ada',
  size: 900,
  changes: { added: 1, removed: 0, modified: 0 },
  runs: [{ id: 'CRED-7', state: 'running', project: 'credit' }]
};

/**
 * A notebook context whose `save` is recorded in `events`, and the real `createCheckpoint`
 * talking to a fake server (ServerConnection's `fetch`) that records the request.
 */
function lab(options: { saveFails?: string; status?: number } = {}) {
  const events: string[] = [];
  const context = {
    path: 'work/train.ipynb',
    save: jest.fn(async () => {
      events.push('save');
      if (options.saveFails) {
        throw new Error(options.saveFails);
      }
    })
  };
  const requests: { url: string; method: string; body: unknown }[] = [];
  const fetch = jest.fn(
    async (input: RequestInfo | URL, init?: RequestInit) => {
      const request =
        input instanceof Request ? input : new Request(input, init);
      events.push('post');
      requests.push({
        url: new URL(request.url).pathname,
        method: request.method,
        body: JSON.parse(await request.text())
      });
      const status = options.status ?? 201;
      const body =
        status === 201
          ? CREATED
          : { error: 'NotFound', message: 'no run NOPE-1' };
      return new Response(JSON.stringify(body), {
        status,
        headers: { 'Content-Type': 'application/json' }
      });
    }
  );
  const settings = ServerConnection.makeSettings({
    baseUrl: 'http://localhost:8888/',
    fetch
  });
  const create = (body: ICreateCheckpoint) => createCheckpoint(body, settings);
  // Only `context` is read; the cast keeps the fake to what answerRequest touches.
  const panel = { context } as unknown as Parameters<typeof answerRequest>[0];
  return { panel, context, create, events, requests };
}

function ask(extra: Partial<IKernelRequest> = {}): IKernelRequest {
  return { action: 'checkpoint', request_id: 'r1', ...extra };
}

describe('answerRequest (the lab half of the run-start handshake)', () => {
  it('saves first, POSTs a "run" checkpoint linked to the run, and replies its id', async () => {
    const { panel, create, events, requests } = lab();
    const reply = await answerRequest(
      panel,
      ask({ trigger: 'run', run_id: 'CRED-7' }),
      create
    );

    expect(reply).toEqual({ request_id: 'r1', checkpoint_id: 'k3y9' });
    expect(events).toEqual(['save', 'post']);
    expect(requests).toEqual([
      {
        url: '/mltrack/api/checkpoints',
        method: 'POST',
        body: { path: 'work/train.ipynb', trigger: 'run', run_id: 'CRED-7' }
      }
    ]);
  });

  it('passes a manual checkpoint name and description, and nothing the kernel left out', async () => {
    const { panel, create, requests } = lab();
    await answerRequest(
      panel,
      ask({ trigger: 'manual', name: 'baseline', description: 'lr 0.1' }),
      create
    );
    expect(requests[0].body).toEqual({
      path: 'work/train.ipynb',
      trigger: 'manual',
      name: 'baseline',
      description: 'lr 0.1'
    });

    // Unknown triggers become "run"; empty or non-string extras are not sent.
    await answerRequest(
      panel,
      ask({
        trigger: 'cron' as IKernelRequest['trigger'],
        run_id: '',
        name: 42 as unknown as string
      }),
      create
    );
    expect(requests[1].body).toEqual({
      path: 'work/train.ipynb',
      trigger: 'run'
    });
  });

  it('keeps a run-end checkpoint its trigger (the notebook with the results)', async () => {
    const { panel, create, events, requests } = lab();
    await answerRequest(
      panel,
      ask({ trigger: 'run-end', run_id: 'CRED-7' }),
      create
    );
    expect(events).toEqual(['save', 'post']);
    expect(requests[0].body).toEqual({
      path: 'work/train.ipynb',
      trigger: 'run-end',
      run_id: 'CRED-7'
    });
  });

  it('replies the error and posts nothing when the save fails', async () => {
    const { panel, create, requests } = lab({ saveFails: 'disk full' });
    const reply = await answerRequest(panel, ask({ run_id: 'CRED-7' }), create);
    expect(reply).toEqual({ request_id: 'r1', error: 'disk full' });
    expect(requests).toEqual([]);
  });

  it("replies the server's message when the POST is refused", async () => {
    const { panel, create } = lab({ status: 404 });
    const reply = await answerRequest(panel, ask({ run_id: 'NOPE-1' }), create);
    expect(reply.request_id).toBe('r1');
    expect(reply.checkpoint_id).toBeUndefined();
    expect(reply.error).toContain('no run NOPE-1');
  });

  it('answers hello without saving, and refuses unknown actions', async () => {
    const { panel, context, create, requests } = lab();
    expect(
      await answerRequest(panel, { action: 'hello', request_id: 'h' }, create)
    ).toEqual({ request_id: 'h', hello: true });
    const odd = await answerRequest(
      panel,
      { action: 'shutdown', request_id: 'x' } as unknown as IKernelRequest,
      create
    );
    expect(odd).toEqual({ request_id: 'x', error: 'unknown action shutdown' });
    expect(context.save).not.toHaveBeenCalled();
    expect(requests).toEqual([]);
  });
});

describe('register (the comm target on a kernel connection)', () => {
  type Handler = (comm: unknown, msg: unknown) => Promise<void>;

  function kernel() {
    const targets = new Map<string, Handler>();
    return {
      clientId: 'this-tab',
      targets,
      registerCommTarget: jest.fn((name: string, handler: Handler) => {
        targets.set(name, handler);
      })
    };
  }

  function comm() {
    return { isDisposed: false, send: jest.fn(), close: jest.fn() };
  }

  function open(session: string, data: IKernelRequest) {
    return { parent_header: { session }, content: { data } };
  }

  it('answers the comm opened by this tab over the comm and closes it', async () => {
    const { panel, create, requests } = lab();
    const k = kernel();
    register(panel, k as never, create);
    expect(k.registerCommTarget).toHaveBeenCalledWith(
      COMM_TARGET,
      expect.any(Function)
    );

    const c = comm();
    await k.targets.get(COMM_TARGET)!(
      c,
      open('this-tab', ask({ run_id: 'CRED-7' }))
    );
    expect(c.send).toHaveBeenCalledWith({
      request_id: 'r1',
      checkpoint_id: 'k3y9'
    });
    expect(c.close).toHaveBeenCalled();
    expect(requests).toHaveLength(1);
  });

  it('leaves a request from another tab on the same kernel to that tab', async () => {
    const { panel, create, requests } = lab();
    const k = kernel();
    register(panel, k as never, create);
    const c = comm();
    await k.targets.get(COMM_TARGET)!(
      c,
      open('other-tab', ask({ run_id: 'CRED-7' }))
    );
    expect(c.send).not.toHaveBeenCalled();
    expect(requests).toEqual([]);
  });

  it('replies the error over the comm when the checkpoint fails', async () => {
    const { panel, create } = lab({ saveFails: 'read-only file' });
    const k = kernel();
    register(panel, k as never, create);
    const c = comm();
    const warn = jest
      .spyOn(console, 'warn')
      .mockImplementation(() => undefined);
    try {
      await k.targets.get(COMM_TARGET)!(c, open('this-tab', ask()));
    } finally {
      warn.mockRestore();
    }
    expect(c.send).toHaveBeenCalledWith({
      request_id: 'r1',
      error: 'read-only file'
    });
  });

  it('ignores a missing kernel', () => {
    const { panel } = lab();
    expect(() => register(panel, null)).not.toThrow();
  });
});
