/**
 * The run view's own reads beside `runs/api.ts`: which cell logged which points
 * (`GET runs/<id>/cells`, query/provenance.py).
 */
import { requestAPI } from '../api';
import { components } from '../generated/api';

type Schemas = components['schemas'];

/** `GET runs/<id>/cells`. */
export type IRunCells = Schemas['RunCells'];
/** One cell execution with the series points it logged. */
export type ICellProvenance = Schemas['CellProvenance'];
/** `fork` of `GET runs/<id>`: the parent, the fork step, the forks. */
export type IRunFork = Schemas['RunFork'];

export function getRunCells(id: string): Promise<IRunCells> {
  return requestAPI<IRunCells>('runs/' + encodeURIComponent(id) + '/cells', {
    method: 'GET'
  });
}
