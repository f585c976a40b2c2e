import { Widget } from '@lumino/widgets';

import { MLTrackSidebar, SidebarModel } from '../panel';
import { IHealth } from '../tokens';

const HEALTH: IHealth = {
  version: '0.1.0',
  store: 'sqlite:////tmp/<img src=x onerror=alert(1)>/mltrack.db',
  blob_root: '/tmp/blobs',
  schema_revision: '0001',
  backend: 'sqlite'
};

describe('MLTrackSidebar', () => {
  it('renders the store URL as text, never as HTML', async () => {
    const model = new SidebarModel({
      fetchHealth: () => Promise.resolve(HEALTH)
    });
    const sidebar = new MLTrackSidebar(model);
    Widget.attach(sidebar, document.body);

    await model.refresh();

    const store = sidebar.node.querySelector('.jp-mltrack-store');
    expect(store?.textContent).toBe(HEALTH.store);
    expect(sidebar.node.querySelector('img')).toBeNull();
    expect(
      sidebar.node.querySelector('.jp-mltrack-schema-revision')?.textContent
    ).toBe('0001');
    expect(
      sidebar.node.querySelector('.jp-mltrack-empty')?.textContent
    ).toContain('No checkpoints yet.');
    sidebar.dispose();
  });

  it('shows the error and a retry button when the server is unreachable', async () => {
    const fetchHealth = jest
      .fn<Promise<IHealth>, []>()
      .mockRejectedValueOnce(new Error('404 Not Found'))
      .mockResolvedValueOnce(HEALTH);
    const model = new SidebarModel({ fetchHealth });
    const sidebar = new MLTrackSidebar(model);
    Widget.attach(sidebar, document.body);

    await model.refresh();

    const status = sidebar.node.querySelector('.jp-mltrack-status');
    const retry =
      sidebar.node.querySelector<HTMLButtonElement>('.jp-mltrack-retry');
    expect(status?.textContent).toBe(
      'Cannot reach the ML Track server extension: 404 Not Found'
    );
    expect(status?.classList.contains('jp-mltrack-error')).toBe(true);
    expect(retry?.hidden).toBe(false);

    retry?.click();
    await new Promise(resolve => setTimeout(resolve, 0));

    expect(fetchHealth).toHaveBeenCalledTimes(2);
    expect(model.status).toBe('ready');
    expect(retry?.hidden).toBe(true);
    sidebar.dispose();
  });
});
