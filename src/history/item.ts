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

import { el } from '../dom';
import { checkpointIcon } from '../icons';
import { formatAbsolute, formatRelative } from '../time';
import { ICheckpoint } from '../tokens';

/** Icon and words for each trigger. */
const TRIGGERS: Record<string, { icon: LabIcon; label: string }> = {
  manual: { icon: checkpointIcon, label: 'Checkpoint taken by hand' },
  run: { icon: runIcon, label: 'Checkpoint taken when a run started' },
  save: { icon: saveIcon, label: 'Checkpoint taken on save' },
  restore: { icon: undoIcon, label: 'Safety checkpoint before a restore' },
  api: { icon: codeIcon, label: 'Checkpoint taken through the API' }
};

/** A short stand-in for unnamed checkpoints. */
export function displayName(entry: ICheckpoint): string {
  return entry.name || `Checkpoint ${entry.id.slice(0, 8)}`;
}

/** "+1 −0 ~3 cells", or "no cell changed". */
export function changesText(entry: ICheckpoint): string {
  const { added = 0, removed = 0, modified = 0 } = entry.changes ?? {};
  if (!added && !removed && !modified) {
    return 'no cell changed';
  }
  return `+${added} −${removed} ~${modified} cells`;
}

export namespace CheckpointItem {
  export interface IOptions {
    entry: ICheckpoint;
    selected: boolean;
    /** Show the notebook path (the "All notebooks" view). */
    showPath: boolean;
    now?: number;
  }
}

/** Build the `<li>` of one checkpoint; actions are wired by the sidebar through data-action. */
export function renderItem(options: CheckpointItem.IOptions): HTMLLIElement {
  const { entry, selected, showPath } = options;
  const name = displayName(entry);
  const li = el('li', 'jp-mltrack-checkpoint');
  li.dataset.id = entry.id;
  li.dataset.trigger = String(entry.trigger);
  li.tabIndex = 0;
  li.setAttribute('aria-label', `${name}, ${formatAbsolute(entry.created_at)}`);
  li.title = entry.author ? `By ${entry.author}` : '';
  li.classList.toggle('jp-mod-selected', selected);

  const head = el('div', 'jp-mltrack-checkpoint-head');
  const pick = el('input', 'jp-mltrack-select');
  pick.type = 'checkbox';
  pick.checked = selected;
  pick.dataset.action = 'select';
  pick.setAttribute('aria-label', `Select ${name} for comparison`);
  pick.title = 'Select two checkpoints to compare them';

  const trigger = TRIGGERS[entry.trigger] ?? {
    icon: checkpointIcon,
    label: `Trigger: ${entry.trigger}`
  };
  const icon = el('span', 'jp-mltrack-trigger');
  icon.title = trigger.label;
  icon.setAttribute('role', 'img');
  icon.setAttribute('aria-label', trigger.label);
  trigger.icon.element({ container: icon, tag: 'span' });

  const title = el('span', 'jp-mltrack-name', name);
  title.classList.toggle('jp-mod-unnamed', !entry.name);
  title.title = 'Double-click to rename';
  title.dataset.action = 'rename';

  const time = el('time', 'jp-mltrack-time');
  time.dataset.created = String(entry.created_at);
  time.textContent = formatRelative(entry.created_at, options.now);
  time.title = formatAbsolute(entry.created_at);
  head.append(pick, icon, title, time);
  li.appendChild(head);

  const description = el('p', 'jp-mltrack-description', entry.description);
  description.dataset.action = 'describe';
  description.title = 'Double-click to edit the description';
  description.hidden = !entry.description;
  li.appendChild(description);

  if (showPath) {
    const path = el('p', 'jp-mltrack-path', entry.notebook_path);
    path.title = entry.notebook_path;
    li.appendChild(path);
  }

  const meta = el('div', 'jp-mltrack-meta');
  meta.appendChild(el('span', 'jp-mltrack-changes', changesText(entry)));
  for (const run of entry.runs ?? []) {
    const badge = el('span', 'jp-mltrack-run', `${run.id} ${run.state}`);
    badge.dataset.state = run.state;
    badge.title = `Run ${run.id}${run.project ? ' in ' + run.project : ''}: ${run.state}`;
    meta.appendChild(badge);
  }
  li.appendChild(meta);

  const actions = el('div', 'jp-mltrack-actions');
  actions.append(
    button('compare', 'Compare', name, 'Compare with current'),
    button('open', 'Open', name),
    button('more', 'More…', name)
  );
  li.appendChild(actions);
  return li;
}

/** Refresh every relative time under `root` (they age while the list stays the same). */
export function updateTimes(root: HTMLElement, now = Date.now()): void {
  root.querySelectorAll<HTMLElement>('.jp-mltrack-time').forEach(node => {
    const created = node.dataset.created ?? '';
    const value = Number.isFinite(Number(created)) ? Number(created) : created;
    node.textContent = formatRelative(value, now);
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
