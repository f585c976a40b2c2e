/**
 * Plain parts of the run view, built as DOM with text only (`textContent`): the field tree,
 * per-cell provenance, files and the collapsed sections of the run's context.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { defaultTrans } from '../i18n';
import { fileURL, ICellTiming, IRunField } from '../runs/api';
import { formatDuration, formatTime, formatValue } from '../runs/format';

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = '',
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

export function section(title: string, className: string): HTMLElement {
  const node = el('section', `jp-mltrack-run-section ${className}`);
  node.appendChild(el('h3', 'jp-mltrack-section-title', title));
  return node;
}

/** A section of the run's context (hardware, console, git, environment): closed at first. */
export function collapsed(
  title: string,
  className: string,
  open = false
): HTMLDetailsElement {
  const node = el('details', `jp-mltrack-run-section ${className}`);
  node.open = open;
  node.appendChild(el('summary', 'jp-mltrack-section-title', title));
  return node;
}

const SERIES = ['float_series', 'string_series', 'file_series'];

/** One field's value as the tree shows it. */
export function describeField(
  field: IRunField,
  trans: TranslationBundle = defaultTrans()
): string {
  if (SERIES.includes(field.type)) {
    const parts = [trans.__('last %1', formatValue(field.last))];
    if (field.type === 'float_series') {
      parts.push(
        trans.__('min %1', formatValue(field.min)),
        trans.__('max %1', formatValue(field.max))
      );
    }
    parts.push(trans.__('%1 points', field.count ?? 0));
    return parts.join(' · ');
  }
  if (field.type === 'file' && isObject(field.value)) {
    return `${String(field.value.name ?? '')} (${formatBytes(Number(field.value.size))})`;
  }
  if (field.type === 'file_set' && Array.isArray(field.value)) {
    return trans.__('%1 files', field.value.length);
  }
  if (field.type === 'datetime' && typeof field.value === 'number') {
    return formatTime(field.value);
  }
  return formatValue(field.value);
}

/** Fields grouped by namespace into nested, collapsible `<details>`. */
export function fieldTree(
  fields: IRunField[],
  trans: TranslationBundle = defaultTrans()
): HTMLElement {
  const root = el('div', 'jp-mltrack-field-tree');
  const groups = new Map<string, HTMLElement>();
  const groupOf = (parts: string[]): HTMLElement => {
    let parent: HTMLElement = root;
    for (let depth = 1; depth < parts.length; depth++) {
      const key = parts.slice(0, depth).join('/');
      let group = groups.get(key);
      if (!group) {
        const details = el('details', 'jp-mltrack-field-group');
        details.open = depth === 1;
        details.appendChild(el('summary', '', parts[depth - 1]));
        parent.appendChild(details);
        groups.set(key, details);
        group = details;
      }
      parent = group;
    }
    return parent;
  };
  for (const field of [...fields].sort((a, b) =>
    a.path.localeCompare(b.path)
  )) {
    const parts = field.path.split('/');
    const row = el('div', 'jp-mltrack-field');
    row.dataset.path = field.path;
    row.title = `${field.path} (${field.type})`;
    row.append(
      el('span', 'jp-mltrack-field-name', parts[parts.length - 1]),
      el('span', 'jp-mltrack-field-value', describeField(field, trans)),
      el('span', 'jp-mltrack-field-type', field.type)
    );
    groupOf(parts).appendChild(row);
  }
  return root;
}

/** One series' points logged by one cell (`GET runs/<id>/cells`). */
export interface ICellSeries {
  path: string;
  count: number;
  first_step: number | null;
  last_step: number | null;
}

/** "train/loss: 200 points, steps 0–199". */
export function describeLogged(
  series: ICellSeries,
  trans: TranslationBundle = defaultTrans()
): string {
  const points = trans._n('%1 point', '%1 points', series.count);
  const { first_step: first, last_step: last } = series;
  if (first === null || last === null) {
    return `${series.path}: ${points}`;
  }
  const steps =
    first === last
      ? trans.__('step %1', formatValue(first))
      : trans.__('steps %1–%2', formatValue(first), formatValue(last));
  return `${series.path}: ${points}, ${steps}`;
}

/**
 * Per-cell provenance of a notebook run: each cell execution (execution count, its code's
 * first line when `sources` knows the cell id, start, wall time, peak memory, error) and,
 * when known, the series points it logged.
 */
export function cellsTable(
  cells: (ICellTiming & { series?: ICellSeries[] })[],
  trans: TranslationBundle = defaultTrans(),
  sources: ReadonlyMap<string, string> = new Map()
): HTMLElement {
  const table = el('table', 'jp-mltrack-cells');
  const head = el('tr');
  for (const title of [
    trans.__('cell'),
    trans.__('code'),
    trans.__('started'),
    trans.__('duration'),
    trans.__('peak RSS'),
    trans.__('peak GPU'),
    trans.__('error'),
    trans.__('logged')
  ]) {
    head.appendChild(el('th', '', title));
  }
  table.appendChild(head);
  for (const cell of cells) {
    const row = el('tr');
    const seconds =
      cell.started_at !== null && cell.ended_at !== null
        ? cell.ended_at - cell.started_at
        : null;
    const label =
      cell.execution_count !== null
        ? `[${cell.execution_count}]`
        : (cell.cell_id ?? '');
    for (const text of [
      label,
      sources.get(cell.cell_id ?? '') ?? '',
      // The time of day: the day is the run's.
      cell.started_at !== null ? formatTime(cell.started_at).slice(11) : '',
      seconds !== null
        ? seconds < 60
          ? `${seconds.toFixed(2)}s`
          : formatDuration(seconds)
        : trans.__('running'),
      cell.peak_rss !== null ? formatBytes(cell.peak_rss) : '',
      cell.peak_gpu_memory !== null ? formatBytes(cell.peak_gpu_memory) : '',
      cell.error ? trans.__('error') : ''
    ]) {
      row.appendChild(el('td', '', text));
    }
    const logged = el('td', 'jp-mltrack-cell-logged');
    for (const series of cell.series ?? []) {
      logged.appendChild(el('div', '', describeLogged(series, trans)));
    }
    row.appendChild(logged);
    if (cell.cell_id) {
      row.dataset.cell = cell.cell_id;
    }
    if (cell.error) {
      row.classList.add('jp-mod-error');
    }
    table.appendChild(row);
  }
  return table;
}

export interface ICheckpointActions {
  open: (id: string) => void;
  diffCurrent: (id: string, path: string) => void;
}

/** Download links of file and file-set fields (images previewed). */
export function filesList(runId: string, files: IRunField[]): HTMLElement {
  const list = el('ul', 'jp-mltrack-files');
  for (const field of files) {
    if (field.type === 'file' && isObject(field.value)) {
      list.appendChild(fileItem(runId, field.path, field.value, {}));
    } else if (field.type === 'file_set' && Array.isArray(field.value)) {
      for (const member of field.value) {
        if (isObject(member) && typeof member.path === 'string') {
          const name = `${field.path}: ${member.path}`;
          list.appendChild(
            fileItem(
              runId,
              field.path,
              { ...member, name },
              { member: member.path }
            )
          );
        }
      }
    }
  }
  return list;
}

function fileItem(
  runId: string,
  path: string,
  meta: Record<string, unknown>,
  opts: { member?: string; index?: number }
): HTMLElement {
  const item = el('li', 'jp-mltrack-file');
  const link = el('a', '', `${String(meta.name ?? path)}`);
  link.href = fileURL(runId, path, { ...opts, download: true });
  link.download = String(meta.name ?? 'file');
  item.append(
    el('span', 'jp-mltrack-file-path', path),
    link,
    el('span', 'jp-mltrack-file-size', formatBytes(Number(meta.size)))
  );
  return item;
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) {
    return '';
  }
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Cell id to the first non-blank line of its source (cut at `width`), from a notebook. */
export function firstLines(
  notebook:
    { cells?: { id?: string; source?: string | string[] }[] } | undefined,
  width = 48
): Map<string, string> {
  const out = new Map<string, string>();
  for (const cell of notebook?.cells ?? []) {
    const source = Array.isArray(cell.source)
      ? cell.source.join('')
      : (cell.source ?? '');
    const line = source.split('\n').find(l => l.trim()) ?? '';
    if (cell.id) {
      out.set(
        cell.id,
        line.length > width
          ? line.slice(0, width - 1).replace(/\s+$/, '') + '…'
          : line
      );
    }
  }
  return out;
}
