/**
 * JupyterLab plugins of jupyter-mltrack.
 */
import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { fetchHealth } from './api';
import { MLTrackSidebar, SidebarModel } from './panel';
import {
  CommandIDs,
  DEFAULT_SETTINGS,
  IMLTrackSettings,
  PLUGIN_ID
} from './tokens';

/** Left-area rank: below the core panels (file browser 100 ... extensions 1000 is last). */
const SIDEBAR_RANK = 600;

const sidebarPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'The ML Track sidebar: store status, notebook checkpoints and runs.',
  autoStart: true,
  optional: [ILabShell, ICommandPalette, ISettingRegistry, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    labShell: ILabShell | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null
  ): void => {
    const shell = labShell ?? app.shell;
    const model = new SidebarModel({ fetchHealth: () => fetchHealth() });
    const sidebar = new MLTrackSidebar(model);
    shell.add(sidebar, 'left', { rank: SIDEBAR_RANK, type: 'ML Track' });
    restorer?.add(sidebar, sidebar.id);

    app.commands.addCommand(CommandIDs.openPanel, {
      label: 'ML Track: Open panel',
      caption: 'Show the ML Track sidebar',
      execute: () => shell.activateById(sidebar.id)
    });
    palette?.addItem({ command: CommandIDs.openPanel, category: 'ML Track' });

    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          const update = (): void => {
            model.settings = Private.readSettings(settings.composite);
          };
          update();
          settings.changed.connect(update);
        })
        .catch(reason => {
          console.error('jupyter-mltrack: cannot load settings', reason);
        });
    }
  }
};

namespace Private {
  /** Settings with the schema's defaults for anything missing or mistyped. */
  export function readSettings(
    composite: ISettingRegistry.ISettings['composite']
  ): IMLTrackSettings {
    const { saveCheckpoints, historyPageSize } = composite as Partial<
      Record<keyof IMLTrackSettings, unknown>
    >;
    return {
      saveCheckpoints:
        typeof saveCheckpoints === 'boolean'
          ? saveCheckpoints
          : DEFAULT_SETTINGS.saveCheckpoints,
      historyPageSize:
        typeof historyPageSize === 'number' && historyPageSize > 0
          ? Math.floor(historyPageSize)
          : DEFAULT_SETTINGS.historyPageSize
    };
  }
}

export default [sidebarPlugin];
