/**
 * The checkpoint actions as commands, so the sidebar, the notebook toolbar, the palette,
 * context menus and keyboard shortcuts all run the same code.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Clipboard, MainAreaWidget, Notification } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { linkIcon } from '@jupyterlab/ui-components';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import * as api from './api';
import { askCheckpoint, confirm } from './dialogs';
import { CheckpointDiffView } from './diff/diffView';
import { CheckpointView } from './diff/checkpointView';
import { DiffPreferences } from './diff/prefs';
import { checkpointIcon, diffIcon } from './icons';
import { displayName, HistoryModel, HistorySidebar } from './history';
import { TimelinePreview } from './history/preview';
import { linkUrl, MainTabs } from './tabs';
import { CommandIDs, CURRENT, ICheckpoint } from './tokens';

export interface ICommandContext {
  app: JupyterFrontEnd;
  history: HistoryModel;
  sidebar: HistorySidebar;
  notebooks: INotebookTracker | null;
  docManager: IDocumentManager | null;
  rendermime: IRenderMimeRegistry;
  /** Main-area tabs with kinds `checkpoint` and `diff` (restored after a reload). */
  tabs: MainTabs;
  trans: TranslationBundle;
  /** The lab's translator, for nbdime's widgets in the diff and read-only tabs. */
  translator: ITranslator;
  /** The diff tabs' toggles, kept in the settings (src/diff/prefs.ts). */
  diffPreferences?: DiffPreferences;
}

/** Deep link to a checkpoint (`remote` unset) or to a diff. */
export function linkTo(base: string, remote?: string): string {
  return linkUrl(
    remote ? { kind: 'diff', base, remote } : { kind: 'checkpoint', id: base }
  );
}

/** DOM id of the diff tab of `base` → `remote`: one tab per comparison. */
export function diffTabId(base: string, remote: string): string {
  return `mltrack-diff-${base}-${remote}`;
}

export function addCommands(ctx: ICommandContext): void {
  const { app, history, sidebar, notebooks, trans } = ctx;
  const { commands } = app;

  /** The checkpoint an action is about: its args, else the entry right-clicked. */
  const idOf = (args: ReadonlyPartialJSONObject): string | null => {
    if (typeof args.id === 'string' && args.id) {
      return args.id;
    }
    const node = app.contextMenuHitTest(n =>
      n.classList.contains('jp-mltrack-checkpoint')
    );
    return node?.dataset.id ?? null;
  };
  const entryOf = async (id: string): Promise<ICheckpoint> =>
    history.find(id) ?? (await api.getCheckpoint(id));
  const notebookAt = (path: string): NotebookPanel | null =>
    notebooks?.find(panel => panel.context.path === path) ?? null;
  const name = (entry: ICheckpoint): string => displayName(entry, trans);
  /** Tell the user why an action failed; `title` is already translated. */
  const report = (title: string) => (reason: unknown) => {
    Notification.error(
      trans.__(
        '%1: %2',
        title,
        reason instanceof Error ? reason.message : String(reason)
      ),
      { autoClose: 8000 }
    );
  };

  commands.addCommand(CommandIDs.checkpointNow, {
    label: args => (args.toolbar ? '' : trans.__('Checkpoint Now')),
    caption: trans.__('Save the notebook and take a named checkpoint of it'),
    icon: checkpointIcon,
    isEnabled: () => !!notebooks?.currentWidget,
    execute: async args => {
      const panel =
        (typeof args.path === 'string' && notebookAt(args.path)) ||
        notebooks?.currentWidget;
      if (!panel) {
        Notification.warning(trans.__('Open a notebook to checkpoint it.'));
        return;
      }
      const path = panel.context.path;
      const text = await askCheckpoint(path, trans);
      if (!text) {
        return;
      }
      try {
        await panel.context.save();
        const entry = await api.createCheckpoint({
          path: panel.context.path,
          name: text.name,
          description: text.description,
          trigger: 'manual'
        });
        await history.refresh();
        Notification.success(trans.__('Checkpoint "%1" taken', name(entry)), {
          autoClose: 3000
        });
      } catch (reason) {
        report(trans.__('Checkpoint failed'))(reason);
      }
    }
  });

  const edit =
    (field: 'name' | 'description') => (args: ReadonlyPartialJSONObject) => {
      const id = idOf(args);
      if (id) {
        // The sidebar is a section of the ML Track panel: reveal both.
        void commands.execute(CommandIDs.openSidebar);
        sidebar.edit(id, field);
      }
    };
  commands.addCommand(CommandIDs.rename, {
    label: trans.__('Rename Checkpoint'),
    execute: edit('name')
  });
  commands.addCommand(CommandIDs.describe, {
    label: trans.__('Describe Checkpoint'),
    execute: edit('description')
  });

  commands.addCommand(CommandIDs.remove, {
    label: trans.__('Delete Checkpoint…'),
    execute: async args => {
      const id = idOf(args);
      if (!id) {
        return;
      }
      const entry = await entryOf(id);
      const ok = await confirm(
        trans.__('Delete checkpoint'),
        trans.__(
          'Delete "%1" of %2? The notebook file is not touched; the checkpoint cannot be brought back.',
          name(entry),
          entry.notebook_path
        ),
        trans.__('Delete'),
        trans
      );
      if (ok) {
        await api.deleteCheckpoint(id).catch(report(trans.__('Delete failed')));
        await history.refresh();
      }
    }
  });

  commands.addCommand(CommandIDs.restoreCopy, {
    label: trans.__('Restore as a Copy'),
    caption: trans.__(
      'Write the checkpoint as a new notebook beside the original'
    ),
    execute: async args => {
      const id = idOf(args);
      if (!id) {
        return;
      }
      try {
        const result = await api.restoreCheckpoint(id);
        await history.refresh();
        Notification.success(trans.__('Restored as %1', result.path), {
          autoClose: 4000
        });
        ctx.docManager?.openOrReveal(result.path);
      } catch (reason) {
        report(trans.__('Restore failed'))(reason);
      }
    }
  });

  commands.addCommand(CommandIDs.revert, {
    label: trans.__('Revert Notebook to Checkpoint…'),
    caption: trans.__(
      'Overwrite the notebook with the checkpoint, after a safety checkpoint'
    ),
    execute: async args => {
      const id = idOf(args);
      if (!id) {
        return;
      }
      const entry = await entryOf(id);
      const path = entry.notebook_path;
      const ok = await confirm(
        trans.__('Revert notebook'),
        trans.__(
          'Replace %1 with "%2"? Its current content is saved and checkpointed first, so this can be undone from the history.',
          path,
          name(entry)
        ),
        trans.__('Revert'),
        trans
      );
      if (!ok) {
        return;
      }
      const panel = notebookAt(path);
      try {
        if (panel?.context.model.dirty) {
          await panel.context.save();
        }
        await api.restoreCheckpoint(id, path);
        await panel?.context.revert();
        await history.refresh();
        Notification.success(
          trans.__('%1 reverted to "%2"', path, name(entry)),
          { autoClose: 4000 }
        );
      } catch (reason) {
        report(trans.__('Revert failed'))(reason);
      }
    }
  });

  /** A checkpoint read-only: the tab of `open`, the timeline's preview. */
  const checkpointView = (id: string): CheckpointView =>
    new CheckpointView({
      id,
      rendermime: ctx.rendermime,
      commands,
      fetch: () => api.getCheckpoint(id),
      trans,
      translator: ctx.translator
    });

  commands.addCommand(CommandIDs.open, {
    label: trans.__('Open Checkpoint Read-Only'),
    execute: args => {
      const id = idOf(args);
      if (!id) {
        return;
      }
      ctx.tabs.open('checkpoint', {
        id: `mltrack-checkpoint-${id}`,
        args: { id },
        link: { kind: 'checkpoint', id },
        icon: diffIcon,
        make: () => checkpointView(id)
      });
    }
  });

  // The timeline scrubber's preview: one tab, its content replaced as the handle moves.
  let preview: MainAreaWidget<TimelinePreview> | null = null;
  commands.addCommand(CommandIDs.preview, {
    label: trans.__('Show Checkpoint in the Timeline'),
    execute: args => {
      const id = idOf(args);
      if (!id) {
        return;
      }
      const view = checkpointView(id);
      if (!preview || preview.isDisposed) {
        preview = new MainAreaWidget({ content: new TimelinePreview() });
        preview.id = 'mltrack-timeline';
        preview.title.icon = diffIcon;
        preview.title.closable = true;
        preview.title.label = trans.__('Timeline');
        preview.content.display(id, view);
        // Restored after a reload, showing the same checkpoint (args updated below).
        void ctx.tabs.tracker('timeline')?.add(preview);
        // Beside the notebook, without taking the focus from the scrubber's handle.
        app.shell.add(preview, 'main', {
          mode: 'split-right',
          activate: false
        });
      } else {
        preview.content.display(id, view);
        if (!preview.isVisible) {
          const focused = document.activeElement as HTMLElement | null;
          app.shell.activateById(preview.id);
          requestAnimationFrame(() => focused?.focus());
        }
      }
      preview.title.caption = trans.__('Timeline: checkpoint %1', id);
      // Its own link: a reload shows it in this tab again, not in a checkpoint tab.
      ctx.tabs.update(preview, { id }, { kind: 'timeline', id });
      // Restored or opened from a link: the scrubber's handle goes onto it too.
      sidebar.timeline.showing(id);
    }
  });

  const openDiff = (base: string, remote: string, path?: string): void => {
    ctx.tabs.open('diff', {
      id: diffTabId(base, remote),
      args: path ? { base, remote, path } : { base, remote },
      link: { kind: 'diff', base, remote },
      icon: diffIcon,
      make: () => {
        const view = new CheckpointDiffView({
          base,
          remote,
          path,
          rendermime: ctx.rendermime,
          fetchDiff: () => api.fetchDiff(base, remote, path),
          describe: id => entryOf(id).catch(() => null),
          trans,
          translator: ctx.translator,
          preferences: ctx.diffPreferences
        });
        return view;
      }
    });
  };

  commands.addCommand(CommandIDs.compareCurrent, {
    label: trans.__('Compare with Current'),
    caption: trans.__(
      'Side-by-side diff of the checkpoint and the notebook as saved'
    ),
    icon: diffIcon,
    execute: async args => {
      const id = idOf(args);
      if (id) {
        const path =
          typeof args.path === 'string'
            ? args.path
            : (history.find(id)?.notebook_path ?? undefined);
        openDiff(id, CURRENT, path);
      }
    }
  });

  commands.addCommand(CommandIDs.compare, {
    label: trans.__('Compare Selected Checkpoints'),
    caption: trans.__(
      'Side-by-side diff of the two selected checkpoints (older on the left)'
    ),
    icon: diffIcon,
    isEnabled: args =>
      (typeof args.base === 'string' && typeof args.remote === 'string') ||
      history.comparePair !== null,
    execute: args => {
      if (typeof args.base === 'string' && typeof args.remote === 'string') {
        openDiff(args.base, args.remote, args.path as string | undefined);
        return;
      }
      const pair = history.comparePair;
      if (pair) {
        openDiff(pair.base.id, pair.remote.id);
      }
    }
  });

  commands.addCommand(CommandIDs.copyLink, {
    label: trans.__('Copy Link to Checkpoint'),
    icon: linkIcon,
    execute: args => {
      const id = idOf(args);
      if (id) {
        Clipboard.copyToSystem(linkTo(id));
        Notification.info(trans.__('Link copied'), { autoClose: 2000 });
      }
    }
  });
}
