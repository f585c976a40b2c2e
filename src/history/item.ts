/**
 * One checkpoint of the history list. Every string from the store (names, descriptions,
 * paths, authors, run ids) is set with `textContent`, never parsed as HTML.
 */
import {
  codeIcon,
  LabIcon,
  runIcon,
  saveIcon,
  undoIcon
} from '@jupyterlab/ui-components';

import { TranslationBundle } from '@jupyterlab/translation';

import { el } from '../dom';
import { defaultTrans } from '../i18n';
import { checkpointIcon } from '../icons';
import { formatAbsolute, formatRelative } from '../time';
import { ICheckpoint } from '../tokens';

/** Icon and words for a trigger. */
function triggerOf(
  trigger: string,
  trans: TranslationBundle
): { icon: LabIcon; label: string } {
  switch (trigger) {
    case 'manual':
      return {
        icon: checkpointIcon,
        label: trans.__('Checkpoint taken by hand')
      };
    case 'run':
      return {
        icon: runIcon,
        label: trans.__('Checkpoint taken when a run started')
      };
    case 'run-end':
      return {
        icon: runIcon,
        label: trans.__('Checkpoint taken when a run ended, with its results')
      };
    case 'save':
      return { icon: saveIcon, label: trans.__('Checkpoint taken on save') };
    case 'restore':
      return {
        icon: undoIcon,
        label: trans.__('Safety checkpoint before a restore')
      };
    case 'api':
      return {
        icon: codeIcon,
        label: trans.__('Checkpoint taken through the API')
      };
    default:
      return { icon: checkpointIcon, label: trans.__('Trigger: %1', trigger) };
  }
}

/** A short stand-in for unnamed checkpoints. */
export function displayName(
  entry: ICheckpoint,
  trans: TranslationBundle = defaultTrans()
): string {
  return entry.name || trans.__('Checkpoint %1', entry.id.slice(0, 8));
}

/** "+1 −0 ~3 cells", "+0 −0 ~1 cells, 2 moved", or "no cell changed". A moved cell (edited
 * or not) is counted as the diff's summary counts it: moved, not in the + and −. */
export function changesText(
  entry: ICheckpoint,
  trans: TranslationBundle = defaultTrans()
): string {
  const {
    added = 0,
    removed = 0,
    modified = 0,
    moved = 0
  } = entry.changes ?? {};
  if (!added && !removed && !modified && !moved) {
    return trans.__('no cell changed');
  }
  if (moved) {
    return trans.__(
      '+%1 −%2 ~%3 cells, %4 moved',
      added,
      removed,
      modified,
      moved
    );
  }
  return trans.__('+%1 −%2 ~%3 cells', added, removed, modified);
}

export namespace CheckpointItem {
  export interface IOptions {
    entry: ICheckpoint;
    selected: boolean;
    /** Show the notebook path (the "All notebooks" view). */
    showPath: boolean;
    now?: number;
    trans?: TranslationBundle;
  }
}

/** Build the `<li>` of one checkpoint; actions are wired by the sidebar through data-action. */
export function renderItem(options: CheckpointItem.IOptions): HTMLLIElement {
  const { entry, selected, showPath } = options;
  const trans = options.trans ?? defaultTrans();
  const name = displayName(entry, trans);
  const li = el('li', 'jp-mltrack-checkpoint');
  li.dataset.id = entry.id;
  li.dataset.trigger = String(entry.trigger);
  li.tabIndex = 0;
  li.setAttribute('aria-label', `${name}, ${formatAbsolute(entry.created_at)}`);
  li.title = entry.author ? trans.__('By %1', entry.author) : '';
  li.classList.toggle('jp-mod-selected', selected);

  const head = el('div', 'jp-mltrack-checkpoint-head');
  const pick = el('input', 'jp-mltrack-select');
  pick.type = 'checkbox';
  pick.checked = selected;
  pick.dataset.action = 'select';
  pick.setAttribute('aria-label', trans.__('Select %1 for comparison', name));
  pick.title = trans.__('Select two checkpoints to compare them');

  const trigger = triggerOf(String(entry.trigger), trans);
  const icon = el('span', 'jp-mltrack-trigger');
  icon.title = trigger.label;
  icon.setAttribute('role', 'img');
  icon.setAttribute('aria-label', trigger.label);
  trigger.icon.element({ container: icon, tag: 'span' });

  const title = el('span', 'jp-mltrack-name', name);
  title.classList.toggle('jp-mod-unnamed', !entry.name);
  title.title = trans.__('Double-click to rename');
  title.dataset.action = 'rename';

  const time = el('time', 'jp-mltrack-time');
  time.dataset.created = String(entry.created_at);
  time.textContent = formatRelative(entry.created_at, options.now, trans);
  time.title = formatAbsolute(entry.created_at);
  head.append(pick, icon, title);
  if (entry.validation_warning) {
    // nbformat calls the notebook invalid, though Jupyter opens it (issue 17.7).
    const warning = el('span', 'jp-mltrack-validation-warning', '⚠');
    warning.title = trans.__(
      'Invalid notebook (Jupyter opens it): %1',
      entry.validation_warning
    );
    warning.setAttribute('role', 'img');
    warning.setAttribute('aria-label', warning.title);
    head.appendChild(warning);
  }
  head.appendChild(time);
  li.appendChild(head);

  const description = el('p', 'jp-mltrack-description', entry.description);
  description.dataset.action = 'describe';
  description.title = trans.__('Double-click to edit the description');
  description.hidden = !entry.description;
  li.appendChild(description);

  if (showPath) {
    const path = el('p', 'jp-mltrack-path', entry.notebook_path);
    path.title = entry.notebook_path;
    li.appendChild(path);
  }

  const meta = el('div', 'jp-mltrack-meta');
  meta.appendChild(el('span', 'jp-mltrack-changes', changesText(entry, trans)));
  for (const run of entry.runs ?? []) {
    // A button: a click (or Enter) opens the run's view.
    const badge = el('button', 'jp-mltrack-run', `${run.id} ${run.state}`);
    badge.type = 'button';
    badge.dataset.action = 'run';
    badge.dataset.run = run.id;
    badge.dataset.state = run.state;
    badge.title = run.project
      ? trans.__('Open run %1 in %2: %3', run.id, run.project, run.state)
      : trans.__('Open run %1: %2', run.id, run.state);
    meta.appendChild(badge);
  }
  li.appendChild(meta);

  const actions = el('div', 'jp-mltrack-actions');
  actions.append(
    button(
      'compare',
      trans.__('Compare'),
      name,
      trans.__('Compare with current')
    ),
    button('open', trans.__('Open'), name),
    button('more', trans.__('More…'), name)
  );
  li.appendChild(actions);
  return li;
}

/** Refresh every relative time under `root` (they age while the list stays the same). */
export function updateTimes(
  root: HTMLElement,
  now = Date.now(),
  trans: TranslationBundle = defaultTrans()
): void {
  root.querySelectorAll<HTMLElement>('.jp-mltrack-time').forEach(node => {
    const created = node.dataset.created ?? '';
    const value = Number.isFinite(Number(created)) ? Number(created) : created;
    node.textContent = formatRelative(value, now, trans);
  });
}

function button(
  action: string,
  label: string,
  name: string,
  caption = label
): HTMLElement {
  const node = el('button', 'jp-mltrack-action jp-mod-minimal', label);
  node.type = 'button';
  node.dataset.action = action;
  node.title = caption;
  node.setAttribute('aria-label', `${caption} (${name})`);
  if (action === 'more') {
    node.setAttribute('aria-haspopup', 'menu');
  }
  return node;
}
