import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { connectThroughConsent, createUser, seedDemoAccounts, servers, signIn, uniqueEmail } from './support';

const main = servers.main;

/** axe-core's WCAG 2.1 A and AA rules over the whole page: every violation, with where it is. */
async function violations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations.flatMap((violation) =>
    violation.nodes.map((node) => `${violation.id}: ${node.target.join(' ')} (${node.failureSummary ?? ''})`),
  );
}

for (const colorScheme of ['light', 'dark'] as const) {
  test.describe(`in the ${colorScheme} theme`, () => {
    test.use({ colorScheme });

    test('every page passes axe-core with no violation', async ({ page }) => {
      await page.goto('/');
      expect(await violations(page), 'the welcome page').toEqual([]);

      const email = uniqueEmail(`axe-${colorScheme}`);
      createUser(main, email);
      seedDemoAccounts(main, email, 2);
      await signIn(page, main, email);
      await connectThroughConsent(page, 'Reddit');
      expect(await violations(page), 'connections, with a toast').toEqual([]);

      const reddit = page.getByTestId('connections-list').locator('li.account[data-platform="reddit"]');
      await reddit.locator('a.account-title').click();
      await expect(page.getByRole('heading', { name: 'History' })).toBeVisible();
      expect(await violations(page), "an account's page").toEqual([]);

      await page.getByRole('link', { name: 'Disconnect' }).click();
      await expect(page.getByRole('heading', { name: 'What happens' })).toBeVisible();
      expect(await violations(page), 'the disconnect confirmation').toEqual([]);

      for (const path of [
        '/dashboard/connections/new/bluesky',
        '/dashboard/webhooks',
        '/dashboard/people',
        '/dashboard/billing',
        '/dashboard/settings',
        '/sandbox',
      ]) {
        await page.goto(path);
        expect(await violations(page), path).toEqual([]);
      }
    });
  });
}
