/**
 * The extension's public surface: the `IMLTrack` token other extensions can require, the
 * command ids, and the shapes shared by the views and the REST API (DESIGN.md section 4).
 */
import type * as nbformat from '@jupyterlab/nbformat';
import { Token } from '@lumino/coreutils';

import type { components } from './generated/api';
import type { IRunsPage, IRunsQuery } from './runs/api';

type Schemas = components['schemas'];

/** Plugin id; also names the settings schema `schema/plugin.json`. */
export const PLUGIN_ID = 'jupyter-mltrack:plugin';

/** DOM id of the sidebar, used by the shell and by the browser tests. */
export const SIDEBAR_ID = 'mltrack-sidebar';

/** Query parameters of the deep links (`<base>/lab?mltrack-diff=<a>..<b>`). */
export const LINK_CHECKPOINT = 'mltrack-checkpoint';
export const LINK_DIFF = 'mltrack-diff';
/** `remote` of a diff against the notebook as it is now on disk. */
export const CURRENT = 'current';

export namespace CommandIDs {
  /** Shows the checkpoint history sidebar (the id predates the name; kept for shortcuts). */
  export const openSidebar = 'mltrack:open-panel';
  export const checkpointNow = 'mltrack:checkpoint-now';
  export const rename = 'mltrack:rename-checkpoint';
  export const describe = 'mltrack:describe-checkpoint';
  export const remove = 'mltrack:delete-checkpoint';
  export const restoreCopy = 'mltrack:restore-checkpoint-copy';
  export const revert = 'mltrack:revert-to-checkpoint';
  export const open = 'mltrack:open-checkpoint';
  export const compareCurrent = 'mltrack:compare-with-current';
  export const compare = 'mltrack:compare-checkpoints';
  export const copyLink = 'mltrack:copy-checkpoint-link';
  /** Args: `id`. Shows a checkpoint in the timeline's read-only preview tab. */
  export const preview = 'mltrack:timeline-preview';
}

/** Commands of the runs plugin (`jupyter-mltrack:runs`). */
export namespace RunsCommandIDs {
  /** Args: `query` (optional) to show in the table. */
  export const openTable = 'mltrack:open-runs-table';
  /** Args: `id`. */
  export const openRun = 'mltrack:open-run';
  /** Args: `ids`, two or more. */
  export const compare = 'mltrack:compare-runs';
}

/**
 * What other extensions can do with ML Track: require `IMLTrack` (provided by the plugin
 * `jupyter-mltrack:plugin`). Every call goes through the server extension with the lab's
 * credentials; failures reject with `MLTrackAPIError` (`code`, `message`). See
 * docs/lab-api.md.
 */
export interface IMLTrack {
  /** One page of runs matching `query.query` (the query language of docs/query.md). */
  listRuns(query?: IRunsQuery): Promise<IRunsPage>;
  /** One page of checkpoint history, newest first; one notebook's with `query.path`. */
  listCheckpoints(query?: IListQuery): Promise<IPage<ICheckpoint>>;
  /**
   * Checkpoint the notebook at `options.path`: saved first if it is open with unsaved
   * changes, then recorded with trigger `api` unless another is given.
   */
  checkpoint(options: ICreateCheckpoint): Promise<ICheckpoint>;
  /**
   * Open the side-by-side diff of checkpoint `base` and `remote`: another checkpoint id, or
   * `CURRENT` (the default) for the notebook as saved, at `path` if given.
   */
  openDiff(base: string, remote?: string, path?: string): Promise<void>;
  /** Open a checkpoint read-only in a main-area tab. */
  openCheckpoint(id: string): Promise<void>;
  /** Open a run's view (needs the runs plugin, `jupyter-mltrack:runs`). */
  openRun(id: string): Promise<void>;
}

export const IMLTrack = new Token<IMLTrack>(
  'jupyter-mltrack:IMLTrack',
  'ML Track: list runs and checkpoints, take checkpoints, open diffs and runs.'
);

/** `GET /mltrack/api/health`: the store URL has its password masked by the server. */
export type IHealth = Schemas['Health'];

/** Body of every error answer of the REST API. */
export type IAPIErrorBody = Schemas['Error'];

/** How a checkpoint came to be. */
export type Trigger = Schemas['Checkpoint']['trigger'];

/** A run linked to a checkpoint; `state` is computed by the server (crashed included). */
export type ILinkedRun = Schemas['LinkedRun'];

/** A checkpoint entry as the REST API answers it (`created_at` in epoch seconds). */
export type ICheckpoint = Schemas['Checkpoint'];

/** `GET checkpoints/<id>`: the entry and the notebook. */
export type ICheckpointWithContent = ICheckpoint & {
  content: nbformat.INotebookContent;
};

/** Lists answer one page and the count of all matches. */
export interface IPage<T> {
  items: T[];
  total: number;
}

/** `GET checkpoints` query. */
export interface IListQuery {
  /** One notebook's history; omitted for all notebooks. */
  path?: string | null;
  trigger?: Trigger;
  /** Leave out one trigger, e.g. `save` when the save toggle is off. */
  excludeTrigger?: Trigger;
  /** Text searched in names, descriptions and paths. */
  q?: string;
  limit?: number;
  offset?: number;
}

/** `POST checkpoints`. */
export type ICreateCheckpoint = Schemas['CheckpointCreate'];

/** `GET diff`: nbdime's diff of `base` to the remote side. */
export type IDiffResponse = Omit<Schemas['Diff'], 'base' | 'diff'> & {
  base: nbformat.INotebookContent;
  diff: unknown[];
};

/** Per-cell summary of a diff (indices into base and remote cells). */
export type IDiffSummary = Schemas['DiffSummary'];

/** A cell moved from base index `base` to remote index `remote`, with its edit if any. */
export type IDiffMove = Schemas['DiffMove'];

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

/** The lab settings the server acts on (`PUT lab-settings`). */
export type ILabSettings = Schemas['LabSettingsUpdate'];

/** `GET lab-settings`: `source` is `default` until a lab has sent its settings. */
export type ILabSettingsState = Schemas['LabSettings'];
