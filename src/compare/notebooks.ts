/**
 * Which checkpoint of each run compare diffs: by default its end checkpoint (the notebook
 * with the run's results, trigger `run-end`), else the one taken when it started; or, when
 * asked, the start ones ("the code as it was").
 */
import { IRunDetail } from '../runs/api';
import { ICheckpoint } from '../tokens';

export type CheckpointKind = 'end' | 'start';

export interface INotebookSide {
  runId: string;
  checkpoint: ICheckpoint;
  /** The kind this checkpoint is (an end-less run falls back to its start). */
  kind: CheckpointKind;
}

/** One side per run that has a checkpoint of the asked kind (or its fallback), oldest first. */
export function notebookSides(
  runs: IRunDetail[],
  prefer: CheckpointKind
): INotebookSide[] {
  const sides: INotebookSide[] = [];
  for (const run of runs) {
    const end = run.end_checkpoint ?? null;
    const start = run.checkpoint ?? null;
    if (prefer === 'end' && end) {
      sides.push({ runId: run.id, checkpoint: end, kind: 'end' });
    } else if (start) {
      sides.push({ runId: run.id, checkpoint: start, kind: 'start' });
    } else if (end) {
      sides.push({ runId: run.id, checkpoint: end, kind: 'end' });
    }
  }
  // Older checkpoint on the left, as the checkpoint history compares.
  return sides.sort(
    (a, b) => Number(a.checkpoint.created_at) - Number(b.checkpoint.created_at)
  );
}
