/**
 * Moved cells in the diff view, as pure functions over nbdime's cell list (so jest checks
 * each rule). The server's diff keeps nbdime's format, where a moved cell is a removal at
 * its old place and an insertion at its new one; `summary.moved` says which pairs are one
 * cell moved (`{base, remote, edited, parts, diff}`). The view draws such a pair once, at
 * the new place, marked "Moved from #i", and leaves out the removal.
 */
import { IDiffMove } from '../tokens';
import { filterDiff, IDiffEntry, IDiffFilters } from './filter';

/** What the plan reads of one of nbdime's cell models. */
export interface ICellSides {
  added: boolean;
  deleted: boolean;
}

export interface IMovePlan<T> {
  /** The removed halves of moves: not drawn. */
  hidden: Set<T>;
  /** The inserted halves of moves, drawn as the moved cell. */
  moves: Map<T, IDiffMove>;
}

/**
 * Which of nbdime's cells (`NotebookDiffModel.cells`, in order) are the two halves of each
 * move. A cell's base index counts the cells before it that are not added, its remote index
 * those not deleted. A move whose halves are not a removed base cell and an added remote
 * cell (a stale or foreign summary) is left out: the cells show as removed and added.
 */
export function planMoves<T extends ICellSides>(
  cells: readonly T[],
  moved: readonly IDiffMove[]
): IMovePlan<T> {
  const removedAt = new Map<number, T>();
  const addedAt = new Map<number, T>();
  let base = 0;
  let remote = 0;
  for (const cell of cells) {
    if (cell.added) {
      addedAt.set(remote++, cell);
    } else if (cell.deleted) {
      removedAt.set(base++, cell);
    } else {
      base++;
      remote++;
    }
  }
  const plan: IMovePlan<T> = { hidden: new Set(), moves: new Map() };
  for (const move of moved) {
    const from = removedAt.get(move.base);
    const to = addedAt.get(move.remote);
    if (from && to && !plan.hidden.has(from) && !plan.moves.has(to)) {
      plan.hidden.add(from);
      plan.moves.set(to, move);
    }
  }
  return plan;
}

/** The move with the viewer's filters applied to its edit: a move whose edit is all hidden
 * (only outputs, an execution count or metadata) shows as moved, unedited. */
export function filterMove(move: IDiffMove, filters: IDiffFilters): IDiffMove {
  if (!move.edited) {
    return move;
  }
  const wrapped: IDiffEntry[] = [
    {
      op: 'patch',
      key: 'cells',
      diff: [{ op: 'patch', key: move.base, diff: move.diff as IDiffEntry[] }]
    }
  ];
  const kept = filterDiff(wrapped, filters)[0]?.diff?.[0]?.diff ?? [];
  return kept.length
    ? { ...move, diff: kept }
    : { ...move, edited: false, parts: [], diff: [] };
}

/** Counts from the diff with each move taken out of the added and removed cells. */
export function withMoves<
  C extends { added: number; removed: number; moved?: number }
>(counts: C, moves: number): C {
  return {
    ...counts,
    added: counts.added - moves,
    removed: counts.removed - moves,
    moved: moves
  };
}
