/**
 * The one way the lab extension talks to the server extension.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { components } from './generated/api';
import {
  CURRENT,
  IAPIErrorBody,
  ICheckpoint,
  ICheckpointWithContent,
  ICreateCheckpoint,
  IDiffResponse,
  IHealth,
  ILabSettings,
  ILabSettingsState,
  IListQuery,
  IPage
} from './tokens';

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

/** `GET lab-settings`: the lab settings the server acts on, and whether a lab sent them. */
export function getLabSettings(
  settings?: ServerConnection.ISettings
): Promise<ILabSettingsState> {
  return requestAPI<ILabSettingsState>(
    'lab-settings',
    { method: 'GET' },
    settings
  );
}

/** `PUT lab-settings`: tell the server the lab settings it needs (src/settings.ts). */
export function putLabSettings(
  body: ILabSettings,
  settings?: ServerConnection.ISettings
): Promise<ILabSettingsState> {
  return requestAPI<ILabSettingsState>(
    'lab-settings',
    { method: 'PUT', body: JSON.stringify(body) },
    settings
  );
}

/** `GET checkpoints`: one page of history, newest first. */
export function listCheckpoints(
  query: IListQuery,
  settings?: ServerConnection.ISettings
): Promise<IPage<ICheckpoint>> {
  const params: Record<string, string> = {};
  if (query.path) {
    params.path = query.path;
  }
  if (query.trigger) {
    params.trigger = query.trigger;
  }
  if (query.excludeTrigger) {
    params.exclude_trigger = query.excludeTrigger;
  }
  if (query.q) {
    params.text = query.q;
  }
  if (query.limit !== undefined) {
    params.limit = String(query.limit);
  }
  if (query.offset) {
    params.offset = String(query.offset);
  }
  return requestAPI<IPage<ICheckpoint>>(
    'checkpoints' + URLExt.objectToQueryString(params),
    { method: 'GET' },
    settings
  );
}

/** `POST checkpoints`: snapshot the saved notebook at `body.path`. */
export function createCheckpoint(
  body: ICreateCheckpoint,
  settings?: ServerConnection.ISettings
): Promise<ICheckpoint> {
  return requestAPI<ICheckpoint>(
    'checkpoints',
    { method: 'POST', body: JSON.stringify(body) },
    settings
  );
}

/** `GET checkpoints/<id>`: the entry with the notebook content. */
export function getCheckpoint(
  id: string,
  settings?: ServerConnection.ISettings
): Promise<ICheckpointWithContent> {
  return requestAPI<ICheckpointWithContent>(
    Private.checkpointPath(id),
    { method: 'GET' },
    settings
  );
}

/** `PATCH checkpoints/<id>`: rename and/or describe. */
export function updateCheckpoint(
  id: string,
  change: { name?: string; description?: string },
  settings?: ServerConnection.ISettings
): Promise<ICheckpoint> {
  return requestAPI<ICheckpoint>(
    Private.checkpointPath(id),
    { method: 'PATCH', body: JSON.stringify(change) },
    settings
  );
}

/** `DELETE checkpoints/<id>`. */
export async function deleteCheckpoint(
  id: string,
  settings?: ServerConnection.ISettings
): Promise<void> {
  await requestAPI<unknown>(
    Private.checkpointPath(id),
    { method: 'DELETE' },
    settings
  );
}

/** What `POST checkpoints/<id>/restore` answers: the notebook written, the checkpoint
 * restored, and the safety checkpoint of what `path` held before (when it existed). */
export type IRestoreResult = components['schemas']['RestoreResult'];

/**
 * `POST checkpoints/<id>/restore`: without `targetPath`, a new notebook beside the original
 * with a free name; onto an existing notebook (the original: a revert), the server takes a
 * safety checkpoint of its content first.
 */
export function restoreCheckpoint(
  id: string,
  targetPath?: string,
  settings?: ServerConnection.ISettings
): Promise<IRestoreResult> {
  const body = targetPath ? { target_path: targetPath } : {};
  return requestAPI<IRestoreResult>(
    Private.checkpointPath(id) + '/restore',
    { method: 'POST', body: JSON.stringify(body) },
    settings
  );
}

/** `GET diff`: nbdime diff of checkpoint `base` to `remote` (a checkpoint or `current`). */
export function fetchDiff(
  base: string,
  remote: string,
  path?: string,
  settings?: ServerConnection.ISettings
): Promise<IDiffResponse> {
  const params: Record<string, string> = { base, remote };
  if (remote === CURRENT && path) {
    params.path = path;
  }
  return requestAPI<IDiffResponse>(
    'diff' + URLExt.objectToQueryString(params),
    { method: 'GET' },
    settings
  );
}

namespace Private {
  export function checkpointPath(id: string): string {
    return 'checkpoints/' + encodeURIComponent(id);
  }

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
