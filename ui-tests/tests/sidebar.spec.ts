import { expect, test } from '@jupyterlab/galata';

test.describe('ML Track sidebar', () => {
  test('shows the store and what to do without a notebook', async ({
    page
  }) => {
    const tab = page.locator(
      '.jp-SideBar.jp-mod-left [data-id="mltrack-sidebar"]'
    );
    await expect(tab).toHaveAttribute('title', 'ML Track');
    await tab.click();

    const panel = page.locator('#mltrack-sidebar');
    await expect(panel).toBeVisible();
    await expect(panel.locator('.jp-mltrack-header')).toHaveText('ML Track');
    await expect(panel.locator('.jp-mltrack-store')).toContainText(
      'mltrack.db'
    );
    await expect(panel.locator('.jp-mltrack-schema-revision')).not.toHaveText(
      '—'
    );
    await expect(panel.locator('.jp-mltrack-empty')).toContainText(
      'Open a notebook'
    );
  });

  test('opens from the command palette', async ({ page }) => {
    await expect(page.locator('#mltrack-sidebar')).toBeHidden();

    await page.keyboard.press('Control+Shift+C');
    const palette = page.locator('#command-palette');
    await palette.locator('.lm-CommandPalette-input').fill('ML Track: Open');
    const item = palette.locator('.lm-CommandPalette-item', {
      hasText: 'ML Track: Open panel'
    });
    await expect(item).toHaveCount(1);
    await item.click();

    await expect(page.locator('#mltrack-sidebar')).toBeVisible();
    await expect(
      page.locator('#mltrack-sidebar .jp-mltrack-store')
    ).toContainText('mltrack.db');
  });
});
