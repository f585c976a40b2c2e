/**
 * Shared steps of the browser tests: notebooks written through the contents API and
 * checkpoints taken through the extension's REST API, as a user's other tools would.
 */
import type { APIRequestContext, Page } from '@playwright/test';

export interface ICell {
  cell_type: 'code' | 'markdown';
  source: string;
  outputs?: unknown[];
  execution_count?: number | null;
}

export function code(
  source: string,
  outputs: unknown[] = [],
  count: number | null = 1
): ICell {
  return { cell_type: 'code', source, outputs, execution_count: count };
}

export function markdown(source: string): ICell {
  return { cell_type: 'markdown', source };
}

export function notebook(cells: ICell[]): Record<string, unknown> {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: {
        name: 'python3',
        display_name: 'Python 3',
        language: 'python'
      },
      language_info: { name: 'python' }
    },
    cells: cells.map((cell, i) => {
      const base = { id: `cell-${i}`, metadata: {}, ...cell };
      if (cell.cell_type === 'markdown') {
        return {
          id: base.id,
          cell_type: 'markdown',
          metadata: {},
          source: cell.source
        };
      }
      return { outputs: [], execution_count: null, ...base };
    })
  };
}

export async function writeNotebook(
  request: APIRequestContext,
  path: string,
  content: Record<string, unknown>
): Promise<void> {
  const response = await request.put(`/api/contents/${path}`, {
    data: { type: 'notebook', format: 'json', content }
  });
  if (!response.ok()) {
    throw new Error(
      `PUT ${path}: ${response.status()} ${await response.text()}`
    );
  }
}

export interface IEntry {
  id: string;
  name: string;
  description: string;
  notebook_path: string;
  trigger: string;
}

export async function checkpoint(
  request: APIRequestContext,
  path: string,
  name = '',
  description = ''
): Promise<IEntry> {
  const response = await request.post('/mltrack/api/checkpoints', {
    data: { path, name, description, trigger: 'api' }
  });
  if (response.status() !== 201) {
    throw new Error(
      `POST checkpoint: ${response.status()} ${await response.text()}`
    );
  }
  return (await response.json()) as IEntry;
}

export async function history(
  request: APIRequestContext,
  path: string
): Promise<IEntry[]> {
  const response = await request.get(
    `/mltrack/api/checkpoints?path=${encodeURIComponent(path)}`
  );
  return ((await response.json()) as { items: IEntry[] }).items;
}

/** Open the ML Track panel on its Checkpoints section (the history, `#mltrack-sidebar`). */
export async function openSidebar(page: Page): Promise<void> {
  const panel = page.locator('#mltrack-panel');
  if (!(await panel.isVisible())) {
    await page
      .locator('.jp-SideBar.jp-mod-left [data-id="mltrack-panel"]')
      .click();
  }
  const tab = panel.getByRole('tab', { name: 'Checkpoints' });
  if ((await tab.getAttribute('aria-selected')) !== 'true') {
    await tab.click();
  }
  await page.locator('#mltrack-sidebar').waitFor({ state: 'visible' });
}

/** The sidebar entry named `name`. */
export function entry(page: Page, name: string) {
  return page.locator('#mltrack-sidebar .jp-mltrack-checkpoint', {
    has: page.locator('.jp-mltrack-name', { hasText: name })
  });
}
