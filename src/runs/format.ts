/**
 * How the runs UI writes values: times in local time, durations as `1h 02m`, numbers to
 * six significant digits, tag lists comma-separated. Always plain text (callers put it in
 * `textContent`).
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { defaultTrans } from '../i18n';
import { CellValue } from './api';

const TIME_COLUMNS = new Set([
  'sys/creation_time',
  'sys/ending_time',
  'sys/ping_time',
  'sys/modification_time'
]);

/** `1h 02m`, `3m 05s`, `42s`, `2d 3h`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) {
    return '';
  }
  const s = Math.round(seconds);
  if (s < 60) {
    return `${s}s`;
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) {
    return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  }
  if (s < 86400) {
    return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  }
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** Epoch seconds as `2026-11-22 21:40:13` in local time. */
export function formatTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  if (Number.isNaN(d.getTime())) {
    return '';
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

export function formatNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e15) {
    return String(value);
  }
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e9)) {
    return value.toExponential(4);
  }
  return String(Number(value.toPrecision(6)));
}

/** Text of one cell of the runs table. */
export function formatCell(
  column: string,
  value: CellValue | undefined
): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (Array.isArray(value)) {
    return value.join(', ');
  }
  if (typeof value === 'number') {
    if (TIME_COLUMNS.has(column)) {
      return formatTime(value);
    }
    if (column === 'sys/duration') {
      return formatDuration(value);
    }
    return formatNumber(value);
  }
  if (typeof value === 'boolean') {
    return value ? 'true' : 'false';
  }
  return String(value);
}

/** Any value of a run's field as text (objects as compact JSON). */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    return formatNumber(value);
  }
  if (typeof value === 'string') {
    return value;
  }
  if (Array.isArray(value) && value.every(v => typeof v === 'string')) {
    return value.join(', ');
  }
  return JSON.stringify(value);
}

/** Header label: `sys/creation_time` → `created`; other columns are their path. */
export function columnLabel(
  column: string,
  trans: TranslationBundle = defaultTrans()
): string {
  switch (column) {
    case 'sys/id':
      return trans.__('id');
    case 'sys/name':
      return trans.__('name');
    case 'sys/state':
      return trans.__('state');
    case 'sys/owner':
      return trans.__('owner');
    case 'sys/creation_time':
      return trans.__('created');
    case 'sys/ending_time':
      return trans.__('ended');
    case 'sys/duration':
      return trans.__('duration');
    case 'sys/tags':
      return trans.__('tags');
    case 'source_code/notebook':
      return trans.__('notebook');
    default:
      return column;
  }
}
