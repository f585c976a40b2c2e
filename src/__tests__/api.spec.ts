import { ServerConnection } from '@jupyterlab/services';

import { MLTrackAPIError, requestAPI } from '../api';

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
