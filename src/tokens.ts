/**
 * Shapes shared by the lab extension's views and the REST API (DESIGN.md section 4).
 */

/** Plugin id; also names the settings schema `schema/plugin.json`. */
export const PLUGIN_ID = 'jupyter-mltrack:plugin';

/** DOM id of the sidebar, used by the shell and by the browser tests. */
export const SIDEBAR_ID = 'mltrack-sidebar';

export namespace CommandIDs {
  export const openPanel = 'mltrack:open-panel';
}

/** `GET /mltrack/api/health`. */
export interface IHealth {
  version: string;
  /** Store URL, password masked by the server. */
  store: string;
  blob_root: string;
  schema_revision: string;
  backend: string;
}

/** Body of every error answer of the REST API. */
export interface IAPIErrorBody {
  error: string;
  message: string;
}

/** User settings, `schema/plugin.json`. */
export interface IMLTrackSettings {
  /** Create a checkpoint each time a notebook is saved. */
  saveCheckpoints: boolean;
  /** Checkpoints fetched per page of a notebook's history. */
  historyPageSize: number;
}

export const DEFAULT_SETTINGS: IMLTrackSettings = {
  saveCheckpoints: true,
  historyPageSize: 50
};
