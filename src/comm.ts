/**
 * The frontend half of the comm target `mltrack` (DESIGN §6).
 *
 * When a run starts in a notebook (`init_run`, `%mltrack init`) or `%mltrack checkpoint` runs,
 * the kernel opens a comm to this target. We save the notebook, so edits made just before
 * the run are in it, POST the checkpoint (linked to the run: the server records the link,
 * which is what the busy kernel is waiting for in the store) and reply `{checkpoint_id}` or
 * `{error}`. Nothing is ever sent into the kernel unasked: the notebook's path is read here at
 * request time, so restarts and renames need no re-linking.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Kernel, KernelMessage } from '@jupyterlab/services';

import { createCheckpoint } from './api';
import { ICheckpoint, ICreateCheckpoint } from './tokens';

/** The comm target name the kernel opens. */
export const COMM_TARGET = 'mltrack';

/** What the kernel asks (see jupyter_mltrack/kernel/comm.py). */
export interface IKernelRequest {
  action: 'checkpoint' | 'hello';
  request_id: string;
  trigger?: 'run' | 'run-end' | 'manual';
  run_id?: string;
  name?: string;
  description?: string;
}

/** What we answer. */
export interface IKernelReply {
  request_id: string;
  checkpoint_id?: string;
  error?: string;
  hello?: boolean;
}

/**
 * Answer one request for the notebook `panel`: save, then checkpoint through the REST API.
 * Exported for tests; `create` defaults to `POST checkpoints`.
 */
export async function answerRequest(
  panel: Pick<NotebookPanel, 'context'>,
  request: IKernelRequest,
  create: (body: ICreateCheckpoint) => Promise<ICheckpoint> = body =>
    createCheckpoint(body)
): Promise<IKernelReply> {
  const request_id = String(request.request_id ?? '');
  if (request.action === 'hello') {
    return { request_id, hello: true };
  }
  if (request.action !== 'checkpoint') {
    return { request_id, error: `unknown action ${String(request.action)}` };
  }
  // A run's end checkpoint (the notebook with its results) keeps its own trigger.
  const trigger =
    request.trigger === 'manual' || request.trigger === 'run-end'
      ? request.trigger
      : 'run';
  try {
    await panel.context.save();
    const body: ICreateCheckpoint = { path: panel.context.path, trigger };
    if (typeof request.run_id === 'string' && request.run_id) {
      body.run_id = request.run_id;
    }
    if (typeof request.name === 'string' && request.name) {
      body.name = request.name;
    }
    if (typeof request.description === 'string' && request.description) {
      body.description = request.description;
    }
    const entry = await create(body);
    return { request_id, checkpoint_id: entry.id };
  } catch (reason) {
    const message =
      reason instanceof Error ? reason.message : String(reason ?? 'failed');
    return { request_id, error: message };
  }
}

/**
 * Register the target on `kernel` for `panel`; replaces an earlier registration.
 * Exported for tests; `create` as in `answerRequest`.
 */
export function register(
  panel: Pick<NotebookPanel, 'context'>,
  kernel: Kernel.IKernelConnection | null | undefined,
  create?: (body: ICreateCheckpoint) => Promise<ICheckpoint>
): void {
  if (!kernel) {
    return;
  }
  kernel.registerCommTarget(
    COMM_TARGET,
    async (comm: Kernel.IComm, msg: KernelMessage.ICommOpenMsg) => {
      // Every connection to the kernel sees the open; only the one whose cell asked answers.
      const parent = msg.parent_header as Partial<KernelMessage.IHeader>;
      if (parent?.session && parent.session !== kernel.clientId) {
        return;
      }
      const request = msg.content.data as unknown as IKernelRequest;
      const reply = await answerRequest(panel, request, create);
      if (reply.error) {
        console.warn('jupyter-mltrack: checkpoint for the kernel', reply.error);
      }
      if (!comm.isDisposed) {
        comm.send(
          reply as unknown as KernelMessage.ICommMsgMsg['content']['data']
        );
        comm.close();
      }
    }
  );
}

/** Follow every notebook and its kernel changes. */
function watch(panel: NotebookPanel): void {
  const session = panel.sessionContext;
  register(panel, session.session?.kernel);
  session.kernelChanged.connect((_, change) =>
    register(panel, change.newValue)
  );
}

export const kernelCommPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-mltrack:kernel-comm',
  description:
    'Answers the kernel at run start: saves the notebook and checkpoints it, linked to the run.',
  autoStart: true,
  requires: [INotebookTracker],
  activate: (_app: JupyterFrontEnd, notebooks: INotebookTracker): void => {
    notebooks.forEach(watch);
    notebooks.widgetAdded.connect((_, panel) => watch(panel));
  }
};
