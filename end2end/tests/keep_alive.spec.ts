import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test, type Page } from '@playwright/test';
import { cli, connectThroughConsent, createUser, servers, signIn, uniqueEmail, waitForHydration } from './support';

const main = servers.main;

interface Received {
  verified: boolean;
  type: string;
  body: Record<string, unknown>;
}

/** A webhook receiver written here, independently of Plugboard, with Node's own crypto. */
async function startReceiver(secret: () => string): Promise<{ url: string; received: Received[]; server: HttpServer }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const timestamp = String(request.headers['plugboard-webhook-timestamp'] ?? '');
      const given = Buffer.from(String(request.headers['plugboard-webhook-signature'] ?? ''));
      const expected = Buffer.from(
        'v1=' + createHmac('sha256', secret()).update(`${timestamp}.`).update(body).digest('hex'),
      );
      const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) < 300;
      const verified = fresh && given.length === expected.length && timingSafeEqual(given, expected);
      const event = JSON.parse(body.toString());
      received.push({ verified, type: event.type, body: event });
      response.writeHead(verified ? 204 : 401).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/plugboard`, received, server };
}

const pill = (page: Page, platform: string) =>
  page.getByTestId('connections-list').locator(`li.account[data-platform="${platform}"] .pill`);

test('a revoked refresh token turns "Reconnect needed" on the open page and a signed webhook goes out', async ({ page }) => {
  const email = uniqueEmail('revoked');
  createUser(main, email);
  await signIn(page, main, email);

  let secret = '';
  const receiver = await startReceiver(() => secret);
  try {
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    secret = (await page.locator('code.secret').innerText()).trim();
    expect(secret).toMatch(/^whsec_/);
    await page.reload();
    await expect(page.locator('code.secret')).toHaveCount(0);

    await connectThroughConsent(page, 'Reddit');
    await expect(pill(page, 'reddit')).toHaveText('Connected');

    // A second tab stays open on the list; with no reload it must hear of what happens next
    // (its timer would look only every 30 s: the server's stream of changes tells it sooner).
    const watcher = await page.context().newPage();
    await watcher.goto('/dashboard/connections');
    await waitForHydration(watcher);
    await expect(pill(watcher, 'reddit')).toHaveText('Connected');
    await watcher.waitForTimeout(2_500);

    // The person removes Plugboard at Reddit; the token then falls due.
    await page.goto('/sandbox');
    const revoke = page.locator('form').filter({ has: page.locator('input[value="revoke"]') });
    await revoke.getByLabel('Platform').selectOption('reddit');
    await revoke.getByLabel('Person').selectOption('ada');
    await revoke.getByRole('button', { name: 'Revoke' }).click();
    cli(main, ['dev', 'expire-tokens', email, '--platform', 'reddit']);
    // The worker's refresh is refused; the open tab hears of it.
    await expect(pill(watcher, 'reddit')).toHaveText('Reconnect needed', { timeout: 10_000 });
    await watcher.close();

    // The page renders at once from what is stored, then the health check's verdict arrives.
    await page.goto('/dashboard/connections');
    const url = page.url();
    await expect(pill(page, 'reddit')).toHaveText('Reconnect needed', { timeout: 20_000 });
    expect(page.url()).toBe(url);

    await expect
      .poll(() => receiver.received.filter((r) => r.type === 'account.refresh_failed').length, { timeout: 20_000 })
      .toBe(1);
    const failed = receiver.received.find((r) => r.type === 'account.refresh_failed')!;
    expect(failed.verified).toBe(true);
    expect((failed.body.data as { platform: string }).platform).toBe('reddit');
    expect(receiver.received.filter((r) => r.type === 'account.connected').every((r) => r.verified)).toBe(true);

    // The account's page tells the story: the refused refresh, its class and Reddit's own code.
    await page.goto('/dashboard/connections');
    await page.getByTestId('connections-list').locator('li.account[data-platform="reddit"] a.account-title').click();
    await expect(page).toHaveURL(/\/dashboard\/connections\/[^/]+$/);
    await expect(page.getByRole('heading', { name: 'History' })).toBeVisible();
    const failedRefresh = page.locator('tr[data-kind="refresh"][data-outcome="terminal"]').first();
    await expect(failedRefresh).toContainText('Failed, reconnect needed');
    await expect(failedRefresh.locator('td[data-class="terminal"]')).toHaveText('Access revoked or expired');
    await expect(failedRefresh).toContainText('invalid_grant');

    await page.getByRole('link', { name: 'Webhooks' }).click();
    await expect(page.locator('tr[data-status="delivered"]').filter({ hasText: 'account.refresh_failed' })).toBeVisible();
  } finally {
    receiver.server.close();
  }
});

test('a token made to expire is refreshed by the worker without a click', async ({ page }) => {
  const email = uniqueEmail('refresh');
  createUser(main, email);
  await signIn(page, main, email);
  await connectThroughConsent(page, 'YouTube');
  const row = page.getByTestId('connections-list').locator('li.account[data-platform="youtube"]');
  await expect(row).not.toContainText('Token refreshed');

  cli(main, ['dev', 'expire-tokens', email, '--platform', 'youtube']);
  await expect
    .poll(
      async () => {
        await page.reload();
        return row.innerText();
      },
      { timeout: 20_000 },
    )
    .toContain('Token refreshed just now');
  await expect(pill(page, 'youtube')).toHaveText('Connected');
});
