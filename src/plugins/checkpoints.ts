/**
 * The checkpoints plugin (`jupyter-mltrack:plugin`): the checkpoint history sidebar, the
 * checkpoint commands (diff and read-only tabs included), deep links, the lab settings
 * (sent on to the server where it needs them), and the `IMLTrack` token for other extensions.
 */
import {
  ILabShell,
  ILayoutRestorer,
  IRouter,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import * as api from '../api';
import { addCommands } from '../commands';
import { DiffPreferences, DiffPreferencesSync } from '../diff/prefs';
import { parseTabLink, TabLink } from '../links';
import { HistoryModel, HistorySidebar, StoreStatusModel } from '../history';
import { TRANSLATION_DOMAIN } from '../i18n';
import { checkpointIcon } from '../icons';
import { IMLTrackPanel } from '../panel/panel';
import { MLTrackService } from '../service';
import { HistoryFiltersSync, LabSettingsSync, readSettings } from '../settings';
import { followActiveTab, MainTabs } from '../tabs';
import { CommandIDs, IMLTrack, PLUGIN_ID, RunsCommandIDs } from '../tokens';

/** Left-area rank: below the core sidebars (file browser 100 ... extensions 1000 is last). */
const SIDEBAR_RANK = 600;
const OPEN_LINK = 'mltrack:open-link';

export const checkpointsPlugin: JupyterFrontEndPlugin<IMLTrack> = {
  id: PLUGIN_ID,
  description:
    'The ML Track sidebar: notebook checkpoint history, diffs and the store status; provides IMLTrack.',
  autoStart: true,
  provides: IMLTrack,
  requires: [IRenderMimeRegistry],
  optional: [
    ILabShell,
    ICommandPalette,
    ISettingRegistry,
    ILayoutRestorer,
    INotebookTracker,
    IDocumentManager,
    IRouter,
    ITranslator,
    IMLTrackPanel
  ],
  activate: (
    app: JupyterFrontEnd,
    rendermime: IRenderMimeRegistry,
    labShell: ILabShell | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null,
    notebooks: INotebookTracker | null,
    docManager: IDocumentManager | null,
    router: IRouter | null,
    translator: ITranslator | null,
    panel: IMLTrackPanel | null
  ): IMLTrack => {
    translator = translator ?? nullTranslator;
    const trans = translator.load(TRANSLATION_DOMAIN);
    const shell = labShell ?? app.shell;
    const model = new StoreStatusModel({
      fetchHealth: () => api.fetchHealth(),
      trans
    });
    const history = new HistoryModel({
      list: query => api.listCheckpoints(query),
      trans
    });
    const sidebar = new HistorySidebar({
      model,
      history,
      commands: app.commands,
      saveEdit: async (id, field, value) => {
        history.replace(await api.updateCheckpoint(id, { [field]: value }));
      },
      trans
    });
    if (panel) {
      // The first section of the ML Track panel (keeping its id).
      panel.addSection(sidebar, {
        label: trans.__('Checkpoints'),
        rank: 100,
        icon: checkpointIcon
      });
    } else {
      shell.add(sidebar, 'left', { rank: SIDEBAR_RANK, type: 'ML Track' });
      restorer?.add(sidebar, sidebar.id);
    }

    // Checkpoint and diff tabs come back after a reload; the address bar follows the
    // active tab's deep link (every ML Track tab's, the runs plugin's included).
    const tabs = new MainTabs({ app, restorer, trans });
    tabs.addKind('checkpoint', CommandIDs.open);
    tabs.addKind('diff', CommandIDs.compare);
    // The timeline's preview tab, showing the same checkpoint again.
    tabs.addKind('timeline', CommandIDs.preview);
    followActiveTab(shell);
    const diffPreferences = new DiffPreferences();
    addCommands({
      app,
      history,
      sidebar,
      notebooks,
      docManager,
      rendermime,
      tabs,
      trans,
      translator,
      diffPreferences
    });
    app.commands.addCommand(CommandIDs.openSidebar, {
      label: trans.__('ML Track: Open panel'),
      caption: trans.__('Show the ML Track sidebar'),
      execute: () =>
        panel ? panel.reveal(sidebar) : shell.activateById(sidebar.id)
    });
    for (const command of [
      CommandIDs.openSidebar,
      CommandIDs.checkpointNow,
      CommandIDs.compare
    ]) {
      palette?.addItem({ command, category: trans.__('ML Track') });
    }
    const entryMenu = [
      CommandIDs.compareCurrent,
      CommandIDs.open,
      CommandIDs.rename,
      CommandIDs.describe,
      CommandIDs.copyLink,
      CommandIDs.restoreCopy,
      CommandIDs.revert,
      CommandIDs.remove
    ];
    entryMenu.forEach((command, rank) => {
      app.contextMenu.addItem({
        command,
        selector: '.jp-mltrack-checkpoint',
        rank
      });
    });

    // Follow the active notebook, through renames too.
    const follow = (panel: NotebookPanel | null): void => {
      history.path = panel?.context.path ?? null;
    };
    notebooks?.currentChanged.connect((_, panel) => follow(panel));
    notebooks?.widgetAdded.connect((_, panel) => {
      panel.context.pathChanged.connect(() => {
        if (notebooks.currentWidget === panel) {
          follow(panel);
        }
      });
    });
    follow(notebooks?.currentWidget ?? null);

    // Deep links (src/links.ts): ?mltrack-checkpoint=<id>, ?mltrack-timeline=<id> (the
    // timeline's preview), ?mltrack-diff=<a>..<b>, and the runs plugin's ?mltrack-run=<id>,
    // ?mltrack-compare=<a>,<b>, ?mltrack-runs=<query> and ?mltrack-view=<shared view>.
    // The link stays in the address bar: the tab it opens becomes active and shows it.
    const initialSearch = window.location.search;
    const openLink = (link: TabLink): Promise<unknown> => {
      const { commands } = app;
      switch (link.kind) {
        case 'checkpoint':
          return commands.execute(CommandIDs.open, { id: link.id });
        case 'timeline':
          return commands.execute(CommandIDs.preview, { id: link.id });
        case 'diff':
          return commands.execute(CommandIDs.compare, {
            base: link.base,
            remote: link.remote
          });
        case 'run':
          return commands.execute(RunsCommandIDs.openRun, { id: link.id });
        case 'compare':
          return commands.execute(RunsCommandIDs.compare, { ids: link.ids });
        case 'runs':
          return commands.execute(RunsCommandIDs.openTable, {
            query: link.query
          });
        case 'view':
          return commands.execute(RunsCommandIDs.openTable, {
            view: link.value
          });
      }
    };
    app.commands.addCommand(OPEN_LINK, {
      label: trans.__('Open ML Track Link'),
      execute: args => {
        const link = parseTabLink(String(args.search ?? initialSearch));
        if (!link) {
          return;
        }
        // Open once the saved layout is back, or restoring it would cover the new tab.
        void app.restored.then(() =>
          openLink(link).catch(reason =>
            console.error('jupyter-mltrack: cannot open the link', reason)
          )
        );
      }
    });
    const pattern =
      /[?&]mltrack-(checkpoint|timeline|diff|run|compare|runs|view)=/;
    if (router) {
      router.register({ command: OPEN_LINK, pattern, rank: 20 });
    } else {
      void app.restored.then(() => app.commands.execute(OPEN_LINK, {}));
    }

    // Settings: the history page size here, "Checkpoint on save" for the server.
    if (settingRegistry) {
      const sync = new LabSettingsSync({
        get: () => api.getLabSettings(),
        put: body => api.putLabSettings(body)
      });
      settingRegistry
        .load(PLUGIN_ID)
        .then(loaded => {
          const update = (): void => {
            const settings = readSettings(loaded.composite);
            history.pageSize = settings.historyPageSize;
            void sync.update(settings);
          };
          update();
          loaded.changed.connect(update);
          // The sidebar's filters and toggles, kept across reloads.
          new HistoryFiltersSync(history, loaded);
          // The diff tabs' toggles, likewise.
          new DiffPreferencesSync(diffPreferences, loaded);
        })
        .catch(reason => {
          console.error('jupyter-mltrack: cannot load settings', reason);
        });
    }

    return new MLTrackService({
      commands: app.commands,
      notebookAt: path => notebooks?.find(panel => panel.context.path === path),
      checkpointed: () => void history.refresh()
    });
  }
};
