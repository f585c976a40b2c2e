/**
 * The timeline's preview tab: one main-area tab that shows the checkpoint under the
 * scrubber's handle read-only, replaced as the handle moves instead of a tab per step.
 */
import { Panel, Widget } from '@lumino/widgets';

export class TimelinePreview extends Panel {
  constructor() {
    super();
    this.addClass('jp-mltrack-timeline-preview');
  }

  /** The checkpoint shown, or null before the first. */
  get shownId(): string | null {
    return this._shownId;
  }

  /** Show `view` (the read-only view of checkpoint `id`) in place of the previous one. */
  display(id: string, view: Widget): void {
    if (id === this._shownId && this._view && !this._view.isDisposed) {
      return;
    }
    this._view?.dispose();
    this._view = view;
    this._shownId = id;
    this.node.dataset.id = id;
    this.addWidget(view);
  }

  private _view: Widget | null = null;
  private _shownId: string | null = null;
}
