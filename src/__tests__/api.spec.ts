import { ServerConnection } from '@jupyterlab/services';

import {
  fetchDiff,
  getLabSettings,
  listCheckpoints,
  MLTrackAPIError,
  putLabSettings,
  requestAPI,
  restoreCheckpoint,
  updateCheckpoint
} from '../api';

/** Settings whose `fetch` answers every request with `status` and `body`. */
function serverAnswering(status: number, body: string) {
  const fetch = jest.fn(
    async (_input: RequestInfo | URL, _init?: RequestInit) =>
      new Response(body, {
        status,
        headers: { 'Content-Type': 'application/json' }
      })
  );
  const settings = ServerConnection.makeSettings({
    baseUrl: 'http://localhost:8888/lab-base/',
    fetch
  });
  return { fetch, settings };
}

/** The URL of the first request, without the cache-busting query JupyterLab adds to GETs. */
function requestedUrl(fetch: jest.Mock): string {
  const input = fetch.mock.calls[0][0] as RequestInfo | URL;
  const url = new URL(input instanceof Request ? input.url : String(input));
  return url.origin + url.pathname;
}

/** The error `promise` rejects with; fails the test if it resolves. */
async function rejectionOf(
  promise: Promise<unknown>
): Promise<MLTrackAPIError> {
  try {
    await promise;
  } catch (error) {
    return error as MLTrackAPIError;
  }
  throw new Error('expected the request to fail');
}

describe('requestAPI', () => {
  it('joins the base URL with mltrack/api and parses the JSON answer', async () => {
    const { fetch, settings } = serverAnswering(
      200,
      '{"schema_revision": "0001"}'
    );

    const data = await requestAPI<{ schema_revision: string }>(
      'health',
      {},
      settings
    );

    expect(data).toEqual({ schema_revision: '0001' });
    expect(requestedUrl(fetch)).toBe(
      'http://localhost:8888/lab-base/mltrack/api/health'
    );
  });

  it('throws an error carrying the server code and message', async () => {
    const { settings } = serverAnswering(
      404,
      '{"error": "not_found", "message": "No checkpoint 42"}'
    );

    const error = await rejectionOf(requestAPI('checkpoints/42', {}, settings));

    expect(error).toBeInstanceOf(MLTrackAPIError);
    expect(error).toBeInstanceOf(ServerConnection.ResponseError);
    expect(error.code).toBe('not_found');
    expect(error.message).toBe('No checkpoint 42');
    expect(error.response.status).toBe(404);
  });

  it('falls back to the HTTP status when the error body is not JSON', async () => {
    const { settings } = serverAnswering(502, '<html>Bad gateway</html>');

    const error = await rejectionOf(requestAPI('health', {}, settings));

    expect(error).toBeInstanceOf(MLTrackAPIError);
    expect(error.code).toBe('502');
    expect(error.message).toMatch(/^502/);
  });
});

describe('checkpoint calls', () => {
  /** Method, path, query and JSON body of the first request. */
  async function sent(fetch: jest.Mock) {
    const [input, init] = fetch.mock.calls[0] as [
      RequestInfo | URL,
      RequestInit?
    ];
    const request = input instanceof Request ? input : null;
    const url = new URL(request ? request.url : String(input));
    return {
      method: request?.method ?? init?.method ?? 'GET',
      path: url.pathname,
      params: url.searchParams,
      body: JSON.parse(
        (request ? await request.clone().text() : String(init?.body ?? '')) ||
          'null'
      )
    };
  }

  it('lists with path, text search, paging and the excluded trigger', async () => {
    const { fetch, settings } = serverAnswering(
      200,
      '{"items": [], "total": 0}'
    );

    await listCheckpoints(
      {
        path: 'a b/nb.ipynb',
        q: 'scaling',
        excludeTrigger: 'save',
        limit: 20,
        offset: 40
      },
      settings
    );

    const { path, params } = await sent(fetch);
    expect(path).toBe('/lab-base/mltrack/api/checkpoints');
    expect(params.get('path')).toBe('a b/nb.ipynb');
    expect(params.get('text')).toBe('scaling');
    expect(params.get('exclude_trigger')).toBe('save');
    expect(params.get('limit')).toBe('20');
    expect(params.get('offset')).toBe('40');
  });

  it('lists all notebooks when no path is given', async () => {
    const { fetch, settings } = serverAnswering(
      200,
      '{"items": [], "total": 0}'
    );
    await listCheckpoints({ path: null, limit: 5 }, settings);
    expect((await sent(fetch)).params.has('path')).toBe(false);
  });

  it('escapes ids in paths and sends JSON bodies', async () => {
    const { fetch, settings } = serverAnswering(200, '{"id": "a/b"}');
    await updateCheckpoint('a/b', { name: 'n' }, settings);
    const { path, body } = await sent(fetch);
    expect(path).toBe('/lab-base/mltrack/api/checkpoints/a%2Fb');
    expect(body).toEqual({ name: 'n' });
  });

  it('restores as a copy without a target and over a notebook with one', async () => {
    const copy = serverAnswering(201, '{"path": "nb-restored-abc.ipynb"}');
    await restoreCheckpoint('abc', undefined, copy.settings);
    expect((await sent(copy.fetch)).body).toEqual({});

    const revert = serverAnswering(201, '{"path": "nb.ipynb"}');
    await restoreCheckpoint('abc', 'nb.ipynb', revert.settings);
    expect((await sent(revert.fetch)).body).toEqual({
      target_path: 'nb.ipynb'
    });
    expect((await sent(revert.fetch)).path).toBe(
      '/lab-base/mltrack/api/checkpoints/abc/restore'
    );
  });

  it('sends the path only for a diff against the current notebook', async () => {
    const current = serverAnswering(
      200,
      '{"base": {}, "diff": [], "summary": {}}'
    );
    await fetchDiff('a', 'current', 'nb.ipynb', current.settings);
    const params = (await sent(current.fetch)).params;
    expect([
      params.get('base'),
      params.get('remote'),
      params.get('path')
    ]).toEqual(['a', 'current', 'nb.ipynb']);

    const pair = serverAnswering(
      200,
      '{"base": {}, "diff": [], "summary": {}}'
    );
    await fetchDiff('a', 'b', 'nb.ipynb', pair.settings);
    expect((await sent(pair.fetch)).params.has('path')).toBe(false);
  });

  it('reads and sends the lab settings the server needs', async () => {
    const put = serverAnswering(
      200,
      '{"saveCheckpoints": false, "source": "lab"}'
    );
    const state = await putLabSettings(
      { saveCheckpoints: false },
      put.settings
    );
    const request = await sent(put.fetch);
    expect([request.method, request.path, request.body]).toEqual([
      'PUT',
      '/lab-base/mltrack/api/lab-settings',
      { saveCheckpoints: false }
    ]);
    expect(state).toEqual({ saveCheckpoints: false, source: 'lab' });

    const get = serverAnswering(
      200,
      '{"saveCheckpoints": true, "source": "default"}'
    );
    expect(await getLabSettings(get.settings)).toEqual({
      saveCheckpoints: true,
      source: 'default'
    });
    expect((await sent(get.fetch)).method).toBe('GET');
  });
});
