/**
 * The `IMLTrack` other extensions get (tokens.ts): REST calls for the lists, the lab's
 * notebooks for saving before a checkpoint, and this extension's commands for opening
 * diffs, checkpoints and runs, so a tab opened through the token is the same tab the
 * sidebar would open (one per diff, revealed when asked again).
 */
import type { NotebookPanel } from '@jupyterlab/notebook';
import { CommandRegistry } from '@lumino/commands';

import * as api from './api';
import { listRuns } from './runs/api';
import type { IRunsPage, IRunsQuery } from './runs/api';
import {
  CommandIDs,
  CURRENT,
  ICheckpoint,
  ICreateCheckpoint,
  IListQuery,
  IMLTrack,
  IPage,
  RunsCommandIDs
} from './tokens';

export namespace MLTrackService {
  export interface IOptions {
    commands: CommandRegistry;
    /** The open notebook at a path, if any (`INotebookTracker.find` in the lab). */
    notebookAt?: (
      path: string
    ) => Pick<NotebookPanel, 'context'> | null | undefined;
    /** Called after a checkpoint is taken, e.g. to refresh the history sidebar. */
    checkpointed?: (entry: ICheckpoint) => void;
    /** The REST calls; `api.ts` and `runs/api.ts` unless replaced (unit tests). */
    rest?: Partial<IRest>;
  }

  export interface IRest {
    listRuns: (query: IRunsQuery) => Promise<IRunsPage>;
    listCheckpoints: (query: IListQuery) => Promise<IPage<ICheckpoint>>;
    createCheckpoint: (body: ICreateCheckpoint) => Promise<ICheckpoint>;
  }
}

export class MLTrackService implements IMLTrack {
  constructor(options: MLTrackService.IOptions) {
    this._commands = options.commands;
    this._notebookAt = options.notebookAt ?? (() => null);
    this._checkpointed = options.checkpointed ?? (() => undefined);
    this._rest = {
      listRuns: query => listRuns(query),
      listCheckpoints: query => api.listCheckpoints(query),
      createCheckpoint: body => api.createCheckpoint(body),
      ...options.rest
    };
  }

  listRuns(query: IRunsQuery = {}): Promise<IRunsPage> {
    return this._rest.listRuns(query);
  }

  listCheckpoints(query: IListQuery = {}): Promise<IPage<ICheckpoint>> {
    return this._rest.listCheckpoints(query);
  }

  async checkpoint(options: ICreateCheckpoint): Promise<ICheckpoint> {
    const panel = this._notebookAt(options.path);
    if (panel?.context.model.dirty) {
      await panel.context.save();
    }
    const entry = await this._rest.createCheckpoint({
      ...options,
      trigger: options.trigger ?? 'api'
    });
    this._checkpointed(entry);
    return entry;
  }

  async openDiff(
    base: string,
    remote: string = CURRENT,
    path?: string
  ): Promise<void> {
    const args = path === undefined ? { base, remote } : { base, remote, path };
    await this._commands.execute(CommandIDs.compare, args);
  }

  async openCheckpoint(id: string): Promise<void> {
    await this._commands.execute(CommandIDs.open, { id });
  }

  async openRun(id: string): Promise<void> {
    await this._commands.execute(RunsCommandIDs.openRun, { id });
  }

  private _commands: CommandRegistry;
  private _notebookAt: NonNullable<MLTrackService.IOptions['notebookAt']>;
  private _checkpointed: (entry: ICheckpoint) => void;
  private _rest: MLTrackService.IRest;
}
