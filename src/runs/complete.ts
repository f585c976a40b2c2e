/**
 * Completion for the query box and the column picker: which word the cursor is in, and
 * which field paths, `sys/` columns, aggregates and keywords can replace it.
 */
import { LISTED_SYS_FIELDS } from '../sysfields';
import { IFieldPath } from './api';

/** `sys/` paths of the registry (docs/query.md), always present. */
export const SYS_PATHS = LISTED_SYS_FIELDS.map(f => f.path);

const KEYWORDS = ['AND', 'OR', 'NOT', 'CONTAINS', 'MATCHES', 'EXISTS'];
const AGGREGATES = ['last', 'min', 'max', 'count'];
const PATH_CHAR = /[A-Za-z0-9_./-]/;
const SIMPLE_PATH = /^[A-Za-z_][A-Za-z0-9_./-]*$/;

export interface ICompletion {
  /** Text inserted. */
  text: string;
  /** What it is: a field's type, `aggregate`, `keyword`. */
  kind: string;
}

export interface ICompletionResult {
  /** The word being replaced: `text.slice(from, to)`. */
  from: number;
  to: number;
  items: ICompletion[];
}

/**
 * A path as the query language reads it: backticks around anything unusual, `\` and `` ` ``
 * escaped inside (jupyter_mltrack/query/tokens.py `quote_path` is its twin), so any stored
 * path comes back whole.
 */
export function quotePath(path: string): string {
  return SIMPLE_PATH.test(path)
    ? path
    : '`' + path.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`';
}

/**
 * Completions at `cursor` in `text`. Inside backticks the word runs from the opening one;
 * otherwise it is the run of path characters around the cursor. Paths match by prefix
 * first, then by substring (so `loss` finds `train/loss`); at most `limit` items.
 */
export function complete(
  text: string,
  cursor: number,
  paths: IFieldPath[],
  limit = 50
): ICompletionResult {
  const before = text.slice(0, cursor);
  const ticks = (before.match(/`/g) ?? []).length;
  let from: number;
  let to = cursor;
  if (ticks % 2 === 1) {
    from = before.lastIndexOf('`');
    const close = text.indexOf('`', cursor);
    to = close >= 0 ? close + 1 : cursor;
  } else {
    from = cursor;
    while (from > 0 && PATH_CHAR.test(text[from - 1])) {
      from--;
    }
    while (to < text.length && PATH_CHAR.test(text[to])) {
      to++;
    }
  }
  const word = text.slice(from, cursor).replace(/^`/, '');
  const lower = word.toLowerCase();
  const seen = new Set<string>();
  const prefix: ICompletion[] = [];
  const inside: ICompletion[] = [];
  const offer = (candidate: string, kind: string, insert: string): void => {
    if (seen.has(insert)) {
      return;
    }
    const name = candidate.toLowerCase();
    if (name.startsWith(lower)) {
      seen.add(insert);
      prefix.push({ text: insert, kind });
    } else if (lower.length > 0 && name.includes(lower)) {
      seen.add(insert);
      inside.push({ text: insert, kind });
    }
  };
  for (const field of paths) {
    offer(field.path, field.type, quotePath(field.path));
  }
  for (const path of SYS_PATHS) {
    offer(path, 'sys', path);
  }
  if (ticks % 2 === 0 && word.length > 0 && !word.includes('/')) {
    for (const agg of AGGREGATES) {
      offer(agg, 'aggregate', agg + '(');
    }
    for (const keyword of KEYWORDS) {
      offer(keyword, 'keyword', keyword);
    }
  }
  return { from, to, items: [...prefix, ...inside].slice(0, limit) };
}

/** `text` with the completion applied; returns the new text and cursor. */
export function applyCompletion(
  text: string,
  result: ICompletionResult,
  item: ICompletion
): { text: string; cursor: number } {
  const next = text.slice(0, result.from) + item.text + text.slice(result.to);
  return { text: next, cursor: result.from + item.text.length };
}
