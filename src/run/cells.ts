/**
 * The run view's "Cells" section: each notebook cell executed during the run, named by its
 * code's first line (from the end checkpoint, else the start one), with its timings, peak
 * memory and the series points it logged (`GET runs/<id>/cells`). The timings of the run
 * detail are drawn at once; the points and the code follow.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { getCheckpoint } from '../api';
import { FLOAT_SERIES, IRunDetail } from '../runs/api';
import { ICheckpointWithContent } from '../tokens';
import { getRunCells, IRunCells } from './api';
import { cellsTable, firstLines, section } from './sections';
import { isContextField } from './summary';

export interface ICellsSources {
  getCells?: (id: string) => Promise<IRunCells>;
  getCheckpoint?: (id: string) => Promise<ICheckpointWithContent>;
}

export class CellsSection {
  constructor(runId: string, trans: TranslationBundle, sources: ICellsSources) {
    this._runId = runId;
    this._trans = trans;
    this._sources = sources;
    this.node = section(trans.__('Cells'), 'jp-mltrack-run-cells');
    this.node.hidden = true;
  }

  readonly node: HTMLElement;

  /** Draw the run's cells; false when the points per cell could not be read (retry later). */
  async render(detail: IRunDetail): Promise<boolean> {
    if (!detail.cells.length) {
      return true;
    }
    this._draw(detail.cells);
    // Hardware samples are taken by a thread, not logged by the cell that was running.
    const sampled = new Set(
      detail.fields
        .filter(f => f.type === FLOAT_SERIES && isContextField(f.path))
        .map(f => f.path)
    );
    try {
      const [answer, code] = await Promise.all([
        (this._sources.getCells ?? getRunCells)(this._runId),
        this._code(detail)
      ]);
      this._draw(
        answer.cells.map(cell => ({
          ...cell,
          series: cell.series.filter(s => !sampled.has(s.path))
        })),
        code
      );
      return true;
    } catch {
      return false; // the timings stay
    }
  }

  private _draw(
    cells: Parameters<typeof cellsTable>[0],
    code?: Map<string, string>
  ): void {
    this.node.replaceChildren(
      this.node.firstElementChild!,
      cellsTable(cells, this._trans, code)
    );
    this.node.hidden = false;
  }

  /** Each cell's first line, from the notebook as the run ended (else as it started). */
  private async _code(detail: IRunDetail): Promise<Map<string, string>> {
    const id = (detail.end_checkpoint ?? detail.checkpoint)?.id;
    if (!id) {
      return new Map();
    }
    try {
      const checkpoint = await (this._sources.getCheckpoint ?? getCheckpoint)(
        id
      );
      return firstLines(checkpoint.content);
    } catch {
      return new Map(); // the cells without their code
    }
  }

  private _runId: string;
  private _trans: TranslationBundle;
  private _sources: ICellsSources;
}
