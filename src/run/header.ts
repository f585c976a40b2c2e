/**
 * The top of the run view, what a data scientist reads first: the notebook and its two
 * checkpoints ("code when started", "notebook with results"), the fork lineage, and the
 * summary of parameters and final metrics. DOM with text only (`textContent`).
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { defaultTrans } from '../i18n';
import { IRunField } from '../runs/api';
import { formatTime, formatValue } from '../runs/format';
import { ICheckpoint } from '../tokens';
import { IRunFork } from './api';
import { el, ICheckpointActions } from './sections';
import { ISummary } from './summary';

/** Which of a run's checkpoints: taken when it started, or when it ended (with outputs). */
export type CheckpointKind = 'start' | 'end';

/** The notebook the run came from and its start and end checkpoints, each to open or diff. */
export function notebookBlock(
  start: ICheckpoint | null,
  end: ICheckpoint | null,
  actions: ICheckpointActions,
  trans: TranslationBundle = defaultTrans()
): HTMLElement | null {
  const path = start?.notebook_path ?? end?.notebook_path;
  if (!path) {
    return null;
  }
  const node = el('div', 'jp-mltrack-run-notebook');
  const head = el('div', 'jp-mltrack-run-notebook-path');
  head.append(
    el('span', 'jp-mltrack-label', trans.__('Notebook')),
    el('span', 'jp-mltrack-run-notebook-name', path)
  );
  node.appendChild(head);
  const rows: [CheckpointKind, string, ICheckpoint | null][] = [
    ['start', trans.__('Code when started'), start],
    ['end', trans.__('Notebook with results'), end]
  ];
  for (const [kind, label, checkpoint] of rows) {
    const row = el('div', 'jp-mltrack-run-checkpoint');
    row.dataset.kind = kind;
    row.appendChild(el('span', 'jp-mltrack-label', label));
    if (!checkpoint) {
      row.appendChild(
        el(
          'span',
          'jp-mltrack-run-checkpoint-none',
          kind === 'end'
            ? trans.__('not yet: taken when the run stops')
            : trans.__('none')
        )
      );
      node.appendChild(row);
      continue;
    }
    const name =
      checkpoint.name ||
      trans.__('checkpoint of %1', formatTime(checkpoint.created_at));
    const open = el('a', 'jp-mltrack-open-checkpoint', name);
    open.href = '#';
    open.title = trans.__('Open this checkpoint read-only');
    open.addEventListener('click', event => {
      event.preventDefault();
      actions.open(checkpoint.id);
    });
    const diff = el(
      'button',
      'jp-mltrack-button jp-mltrack-diff-current',
      trans.__('Diff vs current')
    );
    diff.disabled = !!checkpoint.notebook_deleted;
    diff.addEventListener('click', () =>
      actions.diffCurrent(checkpoint.id, checkpoint.notebook_path)
    );
    const cell = el('span', 'jp-mltrack-run-checkpoint-name');
    cell.appendChild(open);
    row.append(cell, diff);
    node.appendChild(row);
  }
  return node;
}

/** "Forked from PARENT at step N" and "Forks: A (step n), B…", each run a link. */
export function lineageBlock(
  fork: IRunFork | undefined,
  openRun: (id: string) => void,
  trans: TranslationBundle = defaultTrans()
): HTMLElement | null {
  if (!fork || (!fork.parent && !fork.children.length)) {
    return null;
  }
  const node = el('div', 'jp-mltrack-run-lineage');
  const link = (id: string, name: string): HTMLElement => {
    const a = el('a', 'jp-mltrack-run-link', name ? `${name} (${id})` : id);
    a.href = `?mltrack-run=${encodeURIComponent(id)}`;
    a.dataset.run = id;
    a.addEventListener('click', event => {
      event.preventDefault();
      openRun(id);
    });
    return a;
  };
  if (fork.parent) {
    const row = el('div', 'jp-mltrack-run-parent');
    row.append(
      el('span', 'jp-mltrack-label', trans.__('Forked from')),
      link(fork.parent.id, fork.parent.name)
    );
    if (fork.step !== null && fork.step !== undefined) {
      row.append(
        el(
          'span',
          'jp-mltrack-fork-step',
          trans.__('at step %1', formatValue(fork.step))
        )
      );
    }
    node.appendChild(row);
  }
  if (fork.children.length) {
    const row = el('div', 'jp-mltrack-run-forks');
    row.appendChild(el('span', 'jp-mltrack-label', trans.__('Forks')));
    for (const child of fork.children) {
      const item = el('span', 'jp-mltrack-run-fork');
      item.appendChild(link(child.id, child.name));
      if (child.step !== null && child.step !== undefined) {
        item.append(` ${trans.__('at step %1', formatValue(child.step))}`);
      }
      row.appendChild(item);
    }
    node.appendChild(row);
  }
  return node;
}

function valueOf(field: IRunField): string {
  return formatValue(field.type.endsWith('_series') ? field.last : field.value);
}

function table(
  title: string,
  className: string,
  fields: IRunField[],
  trans: TranslationBundle
): HTMLElement {
  const box = el('div', `jp-mltrack-summary-part ${className}`);
  box.appendChild(el('h3', 'jp-mltrack-section-title', title));
  const rows = el('table', 'jp-mltrack-summary-table');
  for (const field of fields) {
    const row = el('tr');
    row.dataset.path = field.path;
    const value = el('td', 'jp-mltrack-summary-value', valueOf(field));
    if (field.type === 'float_series') {
      value.title = trans.__(
        'last of %1 points · min %2 · max %3',
        field.count ?? 0,
        formatValue(field.min),
        formatValue(field.max)
      );
    }
    row.append(el('th', 'jp-mltrack-summary-name', field.path), value);
    rows.appendChild(row);
  }
  box.appendChild(rows);
  return box;
}

/** Parameters and final metrics side by side (each left out when empty). */
export function summaryBlock(
  summary: ISummary,
  trans: TranslationBundle = defaultTrans()
): HTMLElement {
  const node = el('div', 'jp-mltrack-run-summary');
  if (summary.params.length) {
    node.appendChild(
      table(
        trans.__('Parameters'),
        'jp-mltrack-run-params',
        summary.params,
        trans
      )
    );
  }
  if (summary.metrics.length) {
    node.appendChild(
      table(
        trans.__('Final metrics'),
        'jp-mltrack-run-metrics',
        summary.metrics,
        trans
      )
    );
  }
  return node;
}
