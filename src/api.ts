/**
 * The one way the lab extension talks to the server extension.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IAPIErrorBody, IHealth } from './tokens';

/** Every route of the server extension lives under `<base_url>/mltrack/api/`. */
export const API_NAMESPACE = 'mltrack/api';

/**
 * An error answer of the REST API, carrying its `{error, message}` body.
 *
 * It is a `ServerConnection.ResponseError`, so JupyterLab's error dialogs show it as usual.
 */
export class MLTrackAPIError extends ServerConnection.ResponseError {
  /** Machine-readable code from the body (`not_found`, `invalid`...), else the HTTP status. */
  readonly code: string;

  constructor(response: Response, body: unknown, fallback: string) {
    const { error, message } = Private.isObject(body)
      ? (body as Partial<IAPIErrorBody>)
      : {};
    super(
      response,
      typeof message === 'string' && message ? message : fallback
    );
    this.name = 'MLTrackAPIError';
    this.code =
      typeof error === 'string' && error ? error : String(response.status);
  }
}

/**
 * Call `endPoint` (relative to `mltrack/api/`) and return its JSON answer.
 *
 * @throws {MLTrackAPIError} on an HTTP error answer.
 * @throws {ServerConnection.NetworkError} when the server cannot be reached.
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, API_NAMESPACE, endPoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }

  const text = await response.text();
  const data = Private.parseJSON(text);
  if (!response.ok) {
    const fallback = `${response.status} ${response.statusText}`.trim();
    throw new MLTrackAPIError(response, data, fallback);
  }
  return data as T;
}

/** `GET health`: version, store URL and schema revision of the server's store. */
export function fetchHealth(
  settings?: ServerConnection.ISettings
): Promise<IHealth> {
  return requestAPI<IHealth>('health', { method: 'GET' }, settings);
}

namespace Private {
  export function parseJSON(text: string): unknown {
    if (text.length === 0) {
      return null;
    }
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }

  export function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  }
}
