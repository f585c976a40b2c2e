/**
 * Runs for the runs browser tests, written by ui-tests/fixtures/mltrack_store.py into the
 * store of the test server (found through `GET /mltrack/api/health`).
 */
import { ChildProcess, execFile, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import type { APIRequestContext, Page } from '@playwright/test';

const SCRIPT = path.resolve(__dirname, '..', 'fixtures', 'mltrack_store.py');
const VENV = path.resolve(__dirname, '..', '..', '.venv', 'bin', 'python');
/** The repository's virtual environment, else `python` on PATH (CI). */
export const PYTHON =
  process.env.MLTRACK_PYTHON ?? (fs.existsSync(VENV) ? VENV : 'python');

async function storeArgs(request: APIRequestContext): Promise<string[]> {
  const response = await request.get('/mltrack/api/health');
  if (!response.ok()) {
    throw new Error(`health: ${response.status()} ${await response.text()}`);
  }
  const health = (await response.json()) as {
    store: string;
    blob_root: string;
  };
  return ['--store', health.store, '--blobs', health.blob_root];
}

/** Run one fixture command to its end; its JSON answer. */
export async function fixture<T>(
  request: APIRequestContext,
  ...args: string[]
): Promise<T> {
  const argv = [SCRIPT, ...(await storeArgs(request)), ...args];
  return new Promise((resolve, reject) => {
    execFile(PYTHON, argv, { timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`${args.join(' ')}: ${error.message}\n${stderr}`));
        return;
      }
      const lines = stdout.trim().split('\n');
      resolve(JSON.parse(lines[lines.length - 1]) as T);
    });
  });
}

/** A script logging a point every 0.2 s until aborted or killed; its run id once started. */
export async function startLive(
  request: APIRequestContext,
  project: string,
  name: string
): Promise<{ id: string; proc: ChildProcess; exited: Promise<number | null> }> {
  const argv = [
    SCRIPT,
    ...(await storeArgs(request)),
    'live',
    '--project',
    project,
    '--name',
    name
  ];
  const proc = spawn(PYTHON, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', chunk => (stderr += String(chunk)));
  const exited = new Promise<number | null>(resolve =>
    proc.on('exit', code => resolve(code))
  );
  const id = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', chunk => {
      out += String(chunk);
      const line = out.split('\n')[0];
      if (out.includes('\n')) {
        resolve((JSON.parse(line) as { id: string }).id);
      }
    });
    void exited.then(code =>
      reject(new Error(`live exited ${code}: ${stderr}`))
    );
  });
  return { id, proc, exited };
}

/** Run a lab command (as the palette, a menu or a click would). */
export async function command(
  page: Page,
  id: string,
  args: Record<string, unknown> = {}
): Promise<void> {
  await page.evaluate(
    ({ id, args }) =>
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      (window as any).jupyterapp.commands.execute(id, args),
    { id, args }
  );
}

/** A project name of its own per test, so tests sharing the server's store do not mix. */
export function project(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}`;
}
