/**
 * The runs plugin (`jupyter-mltrack:runs`): the runs table tab, the run view, compare, and
 * a left-area section listing the active notebook's runs. Saved views live in this
 * plugin's settings (schema/runs.json).
 */
import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { listCheckpoints } from '../api';
import { CompareView, readCompareState } from '../compare/view';
import { TRANSLATION_DOMAIN } from '../i18n';
import { mltrackIcon, runsIcon } from '../icons';
import { IMLTrackPanel } from '../panel/panel';
import { ChartPreferences, ChartPreferencesSync } from '../run/prefs';
import { RunView } from '../run/view';
import * as api from '../runs/api';
import { RunsTableModel } from '../runs/model';
import { RunsTableView } from '../runs/tableView';
import { RunsSidebar } from '../runs/sidebar';
import { ViewsStore } from '../runs/savedViews';
import { suggestFrom } from '../runs/columns';
import { MainTabs } from '../tabs';
import {
  CommandIDs as CheckpointCommands,
  CURRENT,
  RunsCommandIDs
} from '../tokens';

export const RUNS_PLUGIN_ID = 'jupyter-mltrack:runs';

/** Runs of a selection a restored runs table selects again (more are not kept). */
const KEPT_SELECTION = 200;

/** The runs table tab's args: what the restorer reopens it with. */
function tableArgs(model: RunsTableModel): ReadonlyPartialJSONObject {
  return {
    query: model.query,
    sort: model.sort,
    selected: model.selected.slice(0, KEPT_SELECTION)
  };
}

/** Rank after the checkpoint sidebar (600). */
const SIDEBAR_RANK = 610;
/** How long the field paths of the completion are reused before asking again. */
const PATHS_TTL_MS = 30_000;

export const runsPlugin: JupyterFrontEndPlugin<void> = {
  id: RUNS_PLUGIN_ID,
  description:
    'ML Track runs: the runs table with queries and saved views, the run view, compare.',
  autoStart: true,
  optional: [
    ILabShell,
    ICommandPalette,
    ISettingRegistry,
    INotebookTracker,
    ITranslator,
    IMLTrackPanel,
    ILayoutRestorer
  ],
  activate: (
    app: JupyterFrontEnd,
    labShell: ILabShell | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    notebooks: INotebookTracker | null,
    translator: ITranslator | null,
    mlPanel: IMLTrackPanel | null,
    restorer: ILayoutRestorer | null
  ): void => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const { commands } = app;
    const shell = labShell ?? app.shell;
    // The runs table, run and compare tabs come back after a reload, with their links.
    const tabs = new MainTabs({ app, restorer, trans });
    tabs.addKind('runs-table', RunsCommandIDs.openTable);
    tabs.addKind('run', RunsCommandIDs.openRun);
    tabs.addKind('compare', RunsCommandIDs.compare);
    const views = new ViewsStore();
    // x axis, smoothing and log scale: one choice for every run view and compare tab.
    const chartPrefs = new ChartPreferences();
    settingRegistry
      ?.load(RUNS_PLUGIN_ID)
      .then(settings => {
        views.connect(settings);
        new ChartPreferencesSync(chartPrefs, settings);
      })
      .catch(reason => {
        console.error('jupyter-mltrack: cannot load the runs settings', reason);
      });

    // Per project ('' for all): completion offers the paths of the project in view.
    const paths = new Map<
      string,
      { at: number; items: Promise<api.IFieldPath[]> }
    >();
    const fieldPaths = (project?: string | null): Promise<api.IFieldPath[]> => {
      const key = project ?? '';
      let entry = paths.get(key);
      if (!entry || Date.now() - entry.at > PATHS_TTL_MS) {
        entry = { at: Date.now(), items: api.listFieldPaths(project) };
        paths.set(key, entry);
        entry.items.catch(() => paths.delete(key));
      }
      return entry.items;
    };

    commands.addCommand(RunsCommandIDs.openTable, {
      label: trans.__('ML Track: Open Runs Table'),
      caption: trans.__('Search, sort and compare runs'),
      execute: async args => {
        const query = typeof args.query === 'string' ? args.query : null;
        // A restored tab's sort and selection (its args as `tableArgs` saved them).
        const sort = typeof args.sort === 'string' ? args.sort : '';
        const selected = Array.isArray(args.selected)
          ? args.selected.filter((id): id is string => typeof id === 'string')
          : [];
        let created = false;
        const widget = tabs.open('runs-table', {
          id: 'mltrack-runs',
          args: { query: query ?? '', sort, selected },
          link: { kind: 'runs', query: query ?? '' },
          icon: mltrackIcon,
          make: () => {
            created = true;
            const model = new RunsTableModel({
              fetch: q => api.listRuns(q),
              suggest: suggestFrom(api.listColumnPaths),
              layouts: views,
              query: query ?? '',
              sort
            });
            if (selected.length) {
              model.selectIds(selected);
            }
            const view = new RunsTableView({
              model,
              views,
              paths: fieldPaths,
              openRun: id =>
                void commands.execute(RunsCommandIDs.openRun, { id }),
              openCheckpoint: id =>
                void commands.execute(CheckpointCommands.open, { id }),
              compare: ids =>
                void commands.execute(RunsCommandIDs.compare, { ids }),
              trans
            });
            view.title.label = trans.__('Runs');
            view.queryBox.value = model.query;
            void model.reload();
            return view;
          }
        });
        if (created) {
          // Query, sort and selection are the table's state: the next reload keeps them
          // (columns and widths are the project's, in the `layouts` setting); the link
          // holds the query.
          const model = (widget.content as RunsTableView).model;
          const save = (): void =>
            tabs.update(widget, tableArgs(model), {
              kind: 'runs',
              query: model.query
            });
          model.viewChanged.connect(save);
          let selection = model.selected.join(',');
          model.changed.connect(() => {
            const now = model.selected.join(',');
            if (now !== selection) {
              selection = now;
              save();
            }
          });
        }
        const view = widget.content as RunsTableView;
        // `view`: a shared view's `mltrack-view` value (runs/viewLink.ts).
        if (typeof args.view === 'string' && args.view) {
          await view.showLink(args.view);
        } else if (!created && query !== null) {
          view.queryBox.value = query;
          await view.model.setQuery(query);
        }
      }
    });

    commands.addCommand(RunsCommandIDs.openRun, {
      label: args =>
        args.id
          ? trans.__('Open Run %1', String(args.id))
          : trans.__('Open Run'),
      execute: args => {
        const id = String(args.id ?? '');
        if (!id) {
          return;
        }
        // A restored tab's open sections; the chart preferences are global (run/prefs.ts).
        const open = Array.isArray(args.open)
          ? args.open.filter((k): k is string => typeof k === 'string')
          : [];
        let created = false;
        const widget = tabs.open('run', {
          id: `mltrack-run-${id}`,
          args: open.length ? { id, open } : { id },
          link: { kind: 'run', id },
          icon: mltrackIcon,
          make: () => {
            created = true;
            return new RunView({
              runId: id,
              getRun: api.getRun,
              getSeries: api.getSeries,
              abort: api.abortRun,
              checkpoint: {
                open: cp =>
                  void commands.execute(CheckpointCommands.open, { id: cp }),
                diffCurrent: (cp, path) =>
                  void commands.execute(CheckpointCommands.compare, {
                    base: cp,
                    remote: CURRENT,
                    path
                  })
              },
              openRun: other =>
                void commands.execute(RunsCommandIDs.openRun, { id: other }),
              chartPrefs,
              openSections: open,
              trans
            });
          }
        });
        if (created) {
          const view = widget.content as RunView;
          view.sectionsChanged.connect(() =>
            tabs.update(widget, { id, open: view.openSections })
          );
        }
      }
    });

    commands.addCommand(RunsCommandIDs.compare, {
      label: trans.__('Compare Runs'),
      execute: args => {
        const ids = Array.isArray(args.ids) ? args.ids.map(String) : [];
        if (ids.length < 2) {
          return;
        }
        // A restored tab's toggles come back with its args (readCompareState).
        const state = readCompareState(args);
        let created = false;
        const widget = tabs.open('compare', {
          id: `mltrack-compare-${ids.join('-')}`,
          args: { ids, ...state },
          link: { kind: 'compare', ids },
          icon: mltrackIcon,
          make: () => {
            created = true;
            return new CompareView({
              runIds: ids,
              getRun: api.getRun,
              getSeries: api.getSeries,
              diff: (base, remote) =>
                void commands.execute(CheckpointCommands.compare, {
                  base,
                  remote
                }),
              openRun: id =>
                void commands.execute(RunsCommandIDs.openRun, { id }),
              state,
              chartPrefs,
              trans
            });
          }
        });
        if (created) {
          (widget.content as CompareView).stateChanged.connect((_, toggles) =>
            tabs.update(widget, { ids, ...toggles })
          );
        }
      }
    });
    palette?.addItem({
      command: RunsCommandIDs.openTable,
      category: trans.__('ML Track')
    });

    const sidebar = new RunsSidebar({
      fetch: q => api.listRuns(q),
      linkedRuns: async path => {
        const page = await listCheckpoints({ path, limit: 100 });
        const ids: string[] = [];
        page.items.forEach(c => c.runs.forEach(r => ids.push(r.id)));
        return [...new Set(ids)];
      },
      openRun: id => void commands.execute(RunsCommandIDs.openRun, { id }),
      // A run's notebook link: its end checkpoint (with results), else its start one.
      openCheckpoint: async id => {
        const run = await api.getRun(id);
        const checkpoint = run.end_checkpoint ?? run.checkpoint;
        if (checkpoint) {
          await commands.execute(CheckpointCommands.open, {
            id: checkpoint.id
          });
        }
      },
      openTable: query =>
        void commands.execute(RunsCommandIDs.openTable, { query }),
      trans
    });
    sidebar.title.icon = runsIcon;
    if (mlPanel) {
      // The runs section of the one ML Track panel; fresh each time it is shown.
      mlPanel.addSection(sidebar, {
        label: trans.__('Runs'),
        rank: 200,
        icon: runsIcon
      });
      mlPanel.currentChanged.connect((_, shown) => {
        if (shown === sidebar) {
          void sidebar.refresh();
        }
      });
    } else {
      shell.add(sidebar, 'left', { rank: SIDEBAR_RANK, type: 'ML Track Runs' });
    }
    const follow = (): void => {
      sidebar.notebook = notebooks?.currentWidget?.context.path ?? null;
    };
    notebooks?.currentChanged.connect(follow);
    notebooks?.widgetAdded.connect((_, panel) =>
      panel.context.pathChanged.connect(follow)
    );
    follow();
  }
};
