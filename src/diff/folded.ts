/**
 * nbdime's notebook diff widget, drawn so a 1,000-cell notebook paints at once: runs of
 * unchanged cells fold into one "N unchanged cells" row (expanded on demand), and cells are
 * added in batches per animation frame instead of nbdime's one chunk per frame. A moved cell
 * (the server's `summary.moved`) is drawn once, at its new place, marked "Moved from #i".
 * nbdime's own cell widgets draw each cell: a modified source as its two-pane MergeView
 * (side by side under `.nbdime-root`), changed outputs base left and remote right.
 */
import * as nbformat from '@jupyterlab/nbformat';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { Panel, Widget } from '@lumino/widgets';
import type { IDiffEntry as NbdimeDiffEntry } from 'nbdime/lib/diff/diffentries';
import {
  CellDiffModel,
  createPatchedCellDiffModel,
  createUnchangedCellDiffModel,
  NotebookDiffModel
} from 'nbdime/lib/diff/model';
import {
  CellDiffWidget,
  MetadataDiffWidget,
  NotebookDiffWidget
} from 'nbdime/lib/diff/widget';

import { el } from '../dom';
import { defaultTrans } from '../i18n';
import { IDiffMove } from '../tokens';
import { groupRuns } from './filter';
import { IMovePlan, planMoves } from './moves';

/** Class of every widget holding a change, in document order: next/previous walk these. */
export const CHANGE_CLASS = 'jp-mltrack-change';
/** Cells drawn per animation frame after the first batch. */
const BATCH = 24;

export namespace FoldedNotebookDiff {
  export interface IOptions {
    model: NotebookDiffModel;
    rendermime: IRenderMimeRegistry;
    /** Fold runs of unchanged cells (the diff view); false shows every cell (read-only view). */
    fold: boolean;
    /** Our words (the fold rows). */
    trans?: TranslationBundle;
    /** nbdime's own words (its cell and output widgets). */
    translator?: ITranslator;
    /** Moved cells (`summary.moved`) and the base notebook they come from. */
    moves?: { moved: readonly IDiffMove[]; base: nbformat.INotebookContent };
  }
}

export class FoldedNotebookDiff extends NotebookDiffWidget {
  constructor(options: FoldedNotebookDiff.IOptions) {
    super({
      model: options.model,
      rendermime: options.rendermime,
      translator: options.translator
    });
    this._mime = options.rendermime;
    this._fold = options.fold;
    this._trans = options.trans ?? defaultTrans();
    this._baseCells = options.moves?.base.cells ?? [];
    this._plan = planMoves(options.model.cells, options.moves?.moved ?? []);
    this.addClass('jp-mltrack-notebook-diff');
    // nbdime's stylesheet lays out a modified source (its MergeView of two panes) in two
    // columns, base left and remote right, only under `.nbdime-root`, the class of its own
    // app's root; without it the panes stack.
    this.addClass('nbdime-root');
  }

  /** Resolves once every group is drawn; the first batch is drawn before it yields. */
  async init(): Promise<void> {
    const model = this.model;
    if (model.metadata) {
      const metadata = new MetadataDiffWidget({
        model: model.metadata,
        editorFactory: this._editorFactory,
        translator: this._translator,
        ...this._viewOptions
      });
      metadata.addClass(CHANGE_CLASS);
      this.addWidget(metadata);
    }
    // A chunk holding only removed halves of moves draws nothing: leave it out of the runs.
    const chunks = model.chunkedCells.filter(
      chunk => !chunk.every(cell => this._plan.hidden.has(cell))
    );
    const groups = groupRuns(
      chunks,
      chunk =>
        this._fold &&
        chunk.length === 1 &&
        !chunk[0].added &&
        !chunk[0].deleted &&
        chunk[0].unchanged
    );
    let drawn = 0;
    for (const group of groups) {
      if (this.isDisposed) {
        return;
      }
      if (group.collapsed) {
        this.addWidget(this._folded(group.items.map(chunk => chunk[0])));
        drawn += 1;
      } else {
        for (const widget of this._chunk(group.items[0])) {
          this.addWidget(widget);
        }
        drawn += group.items[0].length;
      }
      if (drawn >= BATCH) {
        drawn = 0;
        await nextFrame();
      }
    }
  }

  /** Cells of one chunk in order: moved cells on their own, the others as nbdime shows them;
   * the removed half of a move is not drawn. */
  private _chunk(chunk: CellDiffModel[]): Widget[] {
    const widgets: Widget[] = [];
    let run: CellDiffModel[] = [];
    for (const cell of chunk) {
      const move = this._plan.moves.get(cell);
      if (move || this._plan.hidden.has(cell)) {
        if (run.length) {
          widgets.push(this._cells(run));
          run = [];
        }
        if (move) {
          widgets.push(this._moved(move));
        }
      } else {
        run.push(cell);
      }
    }
    if (run.length) {
      widgets.push(this._cells(run));
    }
    return widgets;
  }

  /** A single modified cell, or removed/added cells side by side. */
  private _cells(chunk: CellDiffModel[]): Widget {
    if (chunk.length === 1 && !(chunk[0].added || chunk[0].deleted)) {
      const widget = this._cell(chunk[0]);
      if (!chunk[0].unchanged) {
        widget.addClass(CHANGE_CLASS);
      }
      return widget;
    }
    const panel = new Panel();
    panel.addClass('jp-Diff-addremchunk');
    panel.addClass(CHANGE_CLASS);
    const added = new Panel();
    added.addClass('jp-Diff-addedchunk');
    const removed = new Panel();
    removed.addClass('jp-Diff-removedchunk');
    for (const cell of chunk) {
      (cell.deleted ? removed : added).addWidget(this._cell(cell));
    }
    panel.addWidget(added);
    panel.addWidget(removed);
    return panel;
  }

  /** A moved cell at its new place: the marker, then the cell (with its edit, if any). */
  private _moved(move: IDiffMove): Widget {
    const base = this._baseCells[move.base] as nbformat.ICell;
    const mimetype = this.model.mimetype;
    const model = move.edited
      ? createPatchedCellDiffModel(
          base,
          move.diff as unknown as NbdimeDiffEntry[],
          mimetype
        )
      : createUnchangedCellDiffModel(base, mimetype);
    const panel = new Panel();
    panel.addClass('jp-mltrack-moved');
    panel.addClass(CHANGE_CLASS);
    const trans = this._trans;
    const marker = el(
      'div',
      'jp-mltrack-moved-marker',
      move.edited
        ? trans.__('Moved from #%1 and edited', move.base + 1)
        : trans.__('Moved from #%1', move.base + 1)
    );
    marker.title = trans.__(
      'Cell %1 of the base is cell %2 here',
      move.base + 1,
      move.remote + 1
    );
    panel.addWidget(new Widget({ node: marker }));
    panel.addWidget(this._cell(model));
    return panel;
  }

  private _cell(model: CellDiffModel): Widget {
    const widget = new CellDiffWidget({
      model,
      rendermime: this._mime,
      mimetype: this.model.mimetype,
      editorFactory: this._editorFactory,
      translator: this._translator,
      ...this._viewOptions
    });
    // nbdime shows a changed markdown cell as its raw source diff: add both sides rendered.
    if (model.cellType === 'markdown' && !model.unchanged) {
      widget.addWidget(this._renderedMarkdown(model));
    }
    return widget;
  }

  /** Base and remote markdown rendered side by side, untrusted (sanitized). */
  private _renderedMarkdown(model: CellDiffModel): Widget {
    const row = new Panel();
    row.addClass('jp-mltrack-rendered-markdown');
    const sides = [model.source.base, model.source.remote];
    for (const [i, text] of sides.entries()) {
      if (text === null) {
        continue;
      }
      const renderer = this._mime.createRenderer('text/markdown');
      renderer.addClass(
        i === 0 ? 'jp-mltrack-side-base' : 'jp-mltrack-side-remote'
      );
      const data = this._mime.createModel({
        data: { 'text/markdown': text },
        trusted: false
      });
      void renderer.renderModel(data);
      row.addWidget(renderer);
    }
    return row;
  }

  /** A row standing for `cells` unchanged cells; activating it draws them in its place. */
  private _folded(cells: CellDiffModel[]): Widget {
    const row = new Widget({ node: document.createElement('button') });
    const node = row.node as HTMLButtonElement;
    node.type = 'button';
    node.className = 'jp-mltrack-folded';
    const count = cells.length;
    node.textContent = this._trans._n(
      '%1 unchanged cell',
      '%1 unchanged cells',
      count
    );
    node.setAttribute('aria-expanded', 'false');
    node.title = this._trans.__('Show the unchanged cells');
    node.addEventListener('click', () => void this._unfold(row, cells));
    return row;
  }

  private async _unfold(row: Widget, cells: CellDiffModel[]): Promise<void> {
    let index = this.widgets.indexOf(row);
    row.dispose();
    for (let i = 0; i < cells.length; i++) {
      if (this.isDisposed) {
        return;
      }
      this.insertWidget(index++, this._cell(cells[i]));
      if ((i + 1) % BATCH === 0) {
        await nextFrame();
      }
    }
  }

  private _mime: IRenderMimeRegistry;
  private _fold: boolean;
  private _baseCells: readonly nbformat.ICell[];
  private _plan: IMovePlan<CellDiffModel>;
  private _trans: TranslationBundle;
}

function nextFrame(): Promise<void> {
  return new Promise(resolve => requestAnimationFrame(() => resolve()));
}
