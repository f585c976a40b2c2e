/**
 * Intra-line highlights: the server's source diffs replace whole lines (checkpoints/nbdiff.py
 * keeps them cheap), so nbdime would mark all of `lr = 0.05` as new. Here each removed line
 * is paired with the added line it became, and the pair is rewritten as nbdime's own
 * line `patch` holding a character diff, which its MergeView draws as a mark over only the
 * changed characters (`0.5` → `0.05` marks the one inserted `0`). Pure functions over
 * nbdime's diff format, so jest checks each rule; patching the result still gives the
 * remote text exactly.
 */
import { IDiffEntry } from './filter';

/** A half-open character range [from, to) of one side. */
export type Range = [number, number];

/** Which characters of a line pair changed: in the old line, and in the new one. */
export interface ILineChange {
  deleted: Range[];
  inserted: Range[];
  /** Characters left equal over both lines' lengths, 0 (nothing shared) to 1 (same). */
  similarity: number;
}

/** Below this similarity two lines are different lines, not one line edited. */
export const MIN_SIMILARITY = 0.4;
/** Token pairs above this (n * m) skip the LCS: only the common prefix and suffix count. */
const MAX_TOKEN_CELLS = 40_000;
/** Line separators other than `\n` that Python's `splitlines` (the server) also splits on:
 * a source holding one is left as the server sent it, its line keys could differ. */
const OTHER_BREAKS = /[\r\v\f\u0085\u2028\u2029]/;
/** The file, group and record separators, which Python's `splitlines` splits on too. */
const SEPARATORS = ['\u001c', '\u001d', '\u001e'];

/** Words, runs of spaces, and single other characters: what a reader sees as one edit. */
function tokenize(text: string): string[] {
  return text.match(/\w+|\s+|[^\w\s]/gu) ?? [];
}

/** The common prefix and suffix lengths of two strings (not overlapping). */
function trim(a: string, b: string): [number, number] {
  let start = 0;
  const max = Math.min(a.length, b.length);
  while (start < max && a[start] === b[start]) {
    start++;
  }
  let end = 0;
  while (end < max - start && a[a.length - 1 - end] === b[b.length - 1 - end]) {
    end++;
  }
  return [start, end];
}

/** Equal token runs of an LCS as [i, j, length] (token indices), in order. */
function commonRuns(a: string[], b: string[]): [number, number, number][] {
  const n = a.length;
  const m = b.length;
  // lcs[i][j]: LCS length of a[i:] and b[j:].
  const lcs: Uint16Array[] = Array.from(
    { length: n + 1 },
    () => new Uint16Array(m + 1)
  );
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] =
        a[i] === b[j]
          ? lcs[i + 1][j + 1] + 1
          : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const runs: [number, number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      const last = runs[runs.length - 1];
      if (last && last[0] + last[2] === i && last[1] + last[2] === j) {
        last[2]++;
      } else {
        runs.push([i, j, 1]);
      }
      i++;
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
      i++;
    } else {
      j++;
    }
  }
  return runs;
}

/**
 * The characters that changed between two versions of a line: tokens (words, spaces, single
 * signs) are matched by a longest common subsequence, and inside each replaced stretch the
 * common prefix and suffix characters are left out, so `0.5` → `0.05` inserts `0` and
 * `lr` → `lr_max` inserts `_max`.
 */
export function lineChange(a: string, b: string): ILineChange {
  const ta = tokenize(a);
  const tb = tokenize(b);
  // Whole tokens in common at the start first (cheap), then the LCS of the rest. The LCS
  // takes the earliest match, so an insertion goes after what it repeats: `0.1)` →
  // `0.1, seed=1)` inserts `, seed=1`.
  let head = 0;
  while (head < ta.length && head < tb.length && ta[head] === tb[head]) {
    head++;
  }
  const restA = ta.slice(head);
  const restB = tb.slice(head);
  const runs: [number, number, number][] = head ? [[0, 0, head]] : [];
  if (
    restA.length &&
    restB.length &&
    restA.length * restB.length <= MAX_TOKEN_CELLS
  ) {
    for (const [i, j, n] of commonRuns(restA, restB)) {
      runs.push([i + head, j + head, n]);
    }
  }
  // Character offsets of each token start.
  const offsets = (tokens: string[]): number[] => {
    const out = [0];
    for (const t of tokens) {
      out.push(out[out.length - 1] + t.length);
    }
    return out;
  };
  const oa = offsets(ta);
  const ob = offsets(tb);
  const deleted: Range[] = [];
  const inserted: Range[] = [];
  let equal = 0;
  let i = 0;
  let j = 0;
  for (const [ri, rj, n] of [...runs, [ta.length, tb.length, 0]]) {
    // The stretch replaced between two equal runs, less its common characters at both ends.
    const sa = a.slice(oa[i], oa[ri]);
    const sb = b.slice(ob[j], ob[rj]);
    const [p, s] = trim(sa, sb);
    equal += p + s;
    if (sa.length - p - s > 0) {
      deleted.push([oa[i] + p, oa[ri] - s]);
    }
    if (sb.length - p - s > 0) {
      inserted.push([ob[j] + p, ob[rj] - s]);
    }
    equal += oa[ri + n] - oa[ri];
    i = ri + n;
    j = rj + n;
  }
  const total = a.length + b.length;
  return {
    deleted,
    inserted,
    similarity: total ? (2 * equal) / total : 1
  };
}

/** nbdime's character diff of line `a` into line `b` (the `diff` of a line `patch`). */
export function charDiff(
  a: string,
  b: string,
  change: ILineChange = lineChange(a, b)
): IDiffEntry[] {
  // nbdime applies character ops in key order (positions in `a`). An inserted range of `b`
  // sits at `a`'s position minus what was inserted before it plus what was removed; an
  // insertion at the start of a removal goes first.
  const entries: IDiffEntry[] = [];
  const { deleted, inserted } = change;
  let shift = 0; // offset in b minus offset in a, at the current point
  let d = 0;
  let k = 0;
  while (d < deleted.length || k < inserted.length) {
    const delAt = d < deleted.length ? deleted[d][0] : Infinity;
    const insAt = k < inserted.length ? inserted[k][0] - shift : Infinity;
    if (insAt <= delAt) {
      const [from, to] = inserted[k++];
      entries.push({
        op: 'addrange',
        key: insAt,
        valuelist: b.slice(from, to)
      });
      shift += to - from;
    } else {
      const [from, to] = deleted[d++];
      entries.push({ op: 'removerange', key: from, length: to - from });
      shift -= to - from;
    }
  }
  return entries;
}

/** Lines of `text` with their endings, as the server and nbdime split them; null when the
 * text holds a line break other than `\n` (then the diff is left alone). */
export function splitLines(text: string): string[] | null {
  if (OTHER_BREAKS.test(text) || SEPARATORS.some(c => text.includes(c))) {
    return null;
  }
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/**
 * A line diff of `base` (nbdime's `addrange`/`removerange` of whole lines) with each edited
 * line turned into a `patch` of its characters. In a stretch where lines were removed and
 * others added at the same place, a removed line is paired, in order, with the next added
 * line similar enough to it; unpaired lines stay removed or added whole.
 */
export function refineLineDiff(
  base: string,
  diff: readonly IDiffEntry[]
): IDiffEntry[] {
  const lines = splitLines(base);
  if (!lines || diff.some(e => e.op === 'patch')) {
    return [...diff];
  }
  const out: IDiffEntry[] = [];
  for (let n = 0; n < diff.length; n++) {
    const entry = diff[n];
    const next = diff[n + 1];
    const added = entry.op === 'addrange' ? entry : null;
    const removed =
      entry.op === 'removerange'
        ? entry
        : next?.op === 'removerange' && next.key === entry.key
          ? next
          : null;
    if (!added || !removed) {
      out.push(entry);
      continue;
    }
    n++; // the removal is handled with its addition
    const at = Number(entry.key);
    const gone = lines.slice(at, at + Number(removed.length ?? 0));
    const fresh = (added.valuelist as string[]) ?? [];
    if (
      gone.length !== Number(removed.length) ||
      !fresh.every(l => typeof l === 'string')
    ) {
      out.push(added, removed);
      continue;
    }
    out.push(...pairLines(at, gone, fresh));
  }
  return out;
}

/** The entries for removed lines `gone` (from base line `at`) replaced by `fresh`. */
function pairLines(at: number, gone: string[], fresh: string[]): IDiffEntry[] {
  const out: IDiffEntry[] = [];
  let r = 0; // next removed line not yet emitted
  let f = 0; // next added line not yet emitted
  const flush = (rTo: number, fTo: number): void => {
    if (fTo > f) {
      out.push({ op: 'addrange', key: at + r, valuelist: fresh.slice(f, fTo) });
    }
    if (rTo > r) {
      out.push({ op: 'removerange', key: at + r, length: rTo - r });
    }
    r = rTo;
    f = fTo;
  };
  for (let i = 0; i < gone.length; i++) {
    for (let j = f; j < fresh.length; j++) {
      const change = lineChange(gone[i], fresh[j]);
      if (change.similarity >= MIN_SIMILARITY) {
        flush(i, j);
        out.push({
          op: 'patch',
          key: at + i,
          diff: charDiff(gone[i], fresh[j], change)
        });
        r = i + 1;
        f = j + 1;
        break;
      }
    }
  }
  flush(gone.length, fresh.length);
  return out;
}

/** A cell's diff with its `source` patch refined against the base cell's source. */
export function refineCellDiff(
  cell: { source?: unknown },
  diff: readonly IDiffEntry[]
): IDiffEntry[] {
  const source = Array.isArray(cell.source)
    ? cell.source.join('')
    : cell.source;
  if (typeof source !== 'string') {
    return [...diff];
  }
  return diff.map(part =>
    part.key === 'source' && part.op === 'patch' && part.diff
      ? { ...part, diff: refineLineDiff(source, part.diff) }
      : part
  );
}

/** The notebook diff with every modified cell's source refined (the input is not changed). */
export function refineNotebookDiff(
  base: { cells?: readonly { source?: unknown }[] },
  diff: readonly IDiffEntry[]
): IDiffEntry[] {
  const cells = base.cells ?? [];
  return diff.map(entry => {
    if (entry.key !== 'cells' || entry.op !== 'patch' || !entry.diff) {
      return entry;
    }
    return {
      ...entry,
      diff: entry.diff.map(cell =>
        cell.op === 'patch' && cell.diff && cells[Number(cell.key)]
          ? {
              ...cell,
              diff: refineCellDiff(cells[Number(cell.key)], cell.diff)
            }
          : cell
      )
    };
  });
}
