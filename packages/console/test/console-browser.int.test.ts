import { ERROR_CODES } from '@orra/protocol';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedConsole, type ConsoleSeed } from '../../engine/test/helpers/console-seed.js';
import { waitFor } from '../../engine/test/helpers/wait-for.js';
import { WebhookReceiver } from '../../engine/test/helpers/webhook-receiver.js';
import { launchChromium } from './helpers/browser.js';
import { openPage, screenshot, signIn } from './helpers/console-page.js';

/**
 * The operator console in a real browser (Debian's Chromium) against a real engine on SQLite, real SDK
 * services and a real webhook receiver (see console-seed.ts for what is seeded).
 */
describe('operator console in a browser', () => {
  let seed: ConsoleSeed;
  let browser: Browser;
  const url = (path: string) => seed.engine.url + path;
  const pendingFor = async (orchestrationId: string) =>
    waitFor(async () => ((await seed.api.get(`/compensation-failures?orchestration=${orchestrationId}`)).body as { id: string }[] | null)?.[0]?.id, {
      timeoutMs: 30_000,
      what: `a failed compensation of ${orchestrationId}`,
    });

  beforeAll(async () => {
    [seed, browser] = await Promise.all([seedConsole(), launchChromium()]);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await seed?.close();
  });

  it('signs in with a key, and with a one-time link that works only once', async () => {
    const { context, page } = await openPage(browser);
    await signIn(page, seed.engine.url, seed.apiKey);
    await page.getByRole('heading', { name: 'Needs attention' }).waitFor();
    // The seeded queue: one pending failed compensation, counted by the engine, with its age.
    await page.locator('[data-tile="pending"]', { hasText: /^1$/ }).waitFor();
    await page.getByText(/^oldest .+ ago$/).waitFor();
    // The seeded endpoint's breaker has tripped: counted from its state, not from failed deliveries.
    await page.locator('[data-tile="endpoints"]', { hasText: /^1$/ }).waitFor();
    await page.locator('[data-tile-detail="endpoints"]', { hasText: /^1 failing$/ }).waitFor();
    // Failed or aborted in the last 24 h, counted and grouped by the engine: the two failed at notify,
    // and the abort with its reason.
    await page.locator('[data-tile="failures"]', { hasText: /^3$/ }).waitFor();
    const groups = page.locator('[data-groups="failures"] li');
    await groups.filter({ hasText: /^2 × notify: .*no courier available$/ }).waitFor();
    await groups.filter({ hasText: /^1 × aborted: customer cancelled the order$/ }).waitFor();
    // Services connected against registered: the seed's three, all connected.
    await page.locator('[data-tile="services"]', { hasText: /^3 of 3$/ }).waitFor();
    await screenshot(page, 'overview');
    await context.close();

    const link = (await seed.api.post('/console/links')).body.url as string;
    expect(link).toMatch(/\/console\/sign-in#link=/);
    const first = await openPage(browser);
    await first.page.goto(link);
    await first.page.getByRole('heading', { name: 'Needs attention' }).waitFor();
    expect(new URL(first.page.url()).pathname).toBe('/console');
    await first.context.close();

    const second = await openPage(browser);
    await second.page.goto(link);
    await second.page.getByRole('alert').filter({ hasText: 'already used' }).waitFor();
    expect(new URL(second.page.url()).pathname).toBe('/console/sign-in');
    await screenshot(second.page, 'sign-in');
    await second.context.close();
  });

  it('answers no console page or console API route without a session', async () => {
    for (const path of ['/console', '/console/orchestrations', `/console/compensations/${seed.ids.failedCompensation}`, '/console/activity?client=cli']) {
      const res = await fetch(url(path), { redirect: 'manual' });
      expect({ path, status: res.status }).toEqual({ path, status: 302 });
      expect(res.headers.get('location')).toBe(`/console/sign-in?next=${encodeURIComponent(path)}`);
    }
    expect((await fetch(url('/console/session'))).status).toBe(401);
    expect((await fetch(url('/console/links'), { method: 'POST' })).status).toBe(401);
    expect((await fetch(url('/orchestrations'), { headers: { cookie: 'orra_session=forged' } })).status).toBe(401);
    const signInPage = await fetch(url('/console/sign-in'));
    expect(signInPage.status).toBe(200);
    expect(signInPage.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await signInPage.text()).not.toMatch(/<script>(?!<)/); // no inline script
  });

  it('shows a read key every action disabled, and its forced request gets 403', async () => {
    const { context, page } = await openPage(browser);
    await signIn(page, seed.engine.url, seed.readKey, `/console/compensations/${seed.ids.failedCompensation}`);
    await page.getByText('This key is read-only').first().waitFor();
    for (const name of ['Resolve', 'Ignore', 'Retry']) expect(await page.getByRole('button', { name, exact: true }).isDisabled()).toBe(true);
    const forced = await page.evaluate(async (id) => {
      const res = await fetch(`/compensation-failures/${id}/resolve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-orra-client': 'console' },
        body: JSON.stringify({ reason: 'forced' }),
      });
      return { status: res.status, body: (await res.json()) as { error: { code: string } } };
    }, seed.ids.failedCompensation);
    expect(forced.status).toBe(403);
    expect(forced.body.error.code).toBe(ERROR_CODES.READ_ONLY_KEY);
    await page.goto(url('/console/webhooks'));
    await page.locator('[data-event]').first().waitFor();
    const redeliver = page.getByRole('button', { name: /^Redeliver/ });
    expect(await redeliver.count()).toBeGreaterThan(0);
    for (const button of await redeliver.all()) expect(await button.isDisabled()).toBe(true);
    // The breaker's actions too: Pause is shown, disabled, and a forced pause is refused and changes nothing.
    await page.goto(url(`/console/webhooks?endpoint=${seed.failingEndpoint}`));
    const pause = page.getByRole('button', { name: 'Pause', exact: true });
    await pause.waitFor();
    expect(await pause.isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Disable', exact: true }).isDisabled()).toBe(true);
    const forcedPause = await page.evaluate(async (id) => {
      const res = await fetch(`/webhooks/${id}/pause`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-orra-client': 'console' }, body: '{}' });
      return res.status;
    }, seed.failingEndpoint);
    expect(forcedPause).toBe(403);
    expect((await seed.api.get(`/webhooks/${seed.failingEndpoint}`)).body.state).toMatch(/^(failing|probing)$/);
    expect((await seed.api.get(`/compensation-failures/${seed.ids.failedCompensation}`)).body.resolutionState).toBe('pending');
    await context.close();
  });

  it('keeps filters in the URL: a reload shows the same view, and every entity opens from its URL', async () => {
    const { context, page } = await openPage(browser);
    await signIn(page, seed.engine.url, seed.apiKey, '/console/orchestrations');
    await page.locator('tr[data-id]').first().waitFor();
    // Tasks done/total of the plan (three service tasks): all three of the completed one, and the
    // failed-and-compensated one's two before notify failed (undoing them does not make them undone tasks).
    const headers = await page.getByRole('columnheader').allTextContents();
    expect(headers.slice(4, 7)).toEqual(['Duration', 'Tasks', 'Compensation']);
    const tasksOf = (id: string) => page.locator(`tr[data-id="${id}"] td`).nth(headers.indexOf('Tasks')).textContent();
    expect(await tasksOf(seed.ids.completed)).toBe('3/3');
    expect(await tasksOf(seed.ids.compensated)).toBe('2/3');
    await page.getByLabel('Status').selectOption('failed');
    await page.waitForURL(/status=failed/);
    const failedRows = async () => page.locator('tr[data-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
    await waitFor(async () => (await failedRows()).length === 2, { what: 'two failed rows' });
    const before = await failedRows();
    await page.reload();
    await page.locator('tr[data-id]').first().waitFor();
    expect(await page.getByLabel('Status').inputValue()).toBe('failed');
    expect(await failedRows()).toEqual(before);
    expect(before.sort()).toEqual([seed.ids.compensated, seed.ids.compensationFailed].sort());
    await screenshot(page, 'orchestrations');
    // Time range and service, in the URL too: both failures had a task on notify in the last 24 h; none on
    // a service that does not exist.
    await page.getByLabel('Started').selectOption('24h');
    await page.waitForURL(/range=24h/);
    await page.getByLabel('Service').fill('notify');
    await page.getByLabel('Service').press('Enter');
    await page.waitForURL(/service=notify/);
    await waitFor(async () => (await failedRows()).sort().join() === before.sort().join(), { what: 'the two failures on notify' });
    await page.getByLabel('Service').fill('nosuchservice');
    await page.getByLabel('Service').press('Enter');
    await waitFor(async () => (await failedRows()).length === 0, { what: 'no rows for an unknown service' });
    await page.reload();
    await page.getByLabel('Service').waitFor();
    expect(await page.getByLabel('Started').inputValue()).toBe('24h');
    expect(await page.getByLabel('Service').inputValue()).toBe('nosuchservice');
    // The overview's failures tile opens this list filtered to the last 24 h, and to both statuses it
    // counts: the two failures and the abort, with both picked in the status filter.
    await page.goto(url('/console'));
    await page.locator('[data-tile="failures"]', { hasText: /^3$/ }).waitFor();
    const tile = page.locator('a.tile', { has: page.locator('[data-tile="failures"]') });
    expect(await tile.getAttribute('href')).toBe('/console/orchestrations?status=failed,aborted&range=24h');
    await tile.click();
    await page.waitForURL(/\/console\/orchestrations\?status=failed,aborted&range=24h$/);
    const failedOrAborted = [seed.ids.compensated, seed.ids.compensationFailed, seed.ids.aborted].sort();
    await waitFor(async () => (await failedRows()).sort().join() === failedOrAborted.join(), { what: 'the failed and the aborted orchestrations' });
    expect(await page.getByLabel('Status').evaluate((el) => Array.from((el as HTMLSelectElement).selectedOptions, (o) => o.value))).toEqual(['failed', 'aborted']);
    // Picking a third keeps all of them in the URL; "any" clears them.
    await page.getByLabel('Status').selectOption(['failed', 'aborted', 'completed']);
    await page.waitForURL(/status=completed,failed,aborted(&|$)/);
    await waitFor(async () => (await failedRows()).includes(seed.ids.completed), { what: 'the completed one too' });
    await page.getByLabel('Status').selectOption('');
    await page.waitForURL((u) => !u.searchParams.has('status'));

    await page.goto(url(`/console/orchestrations/${seed.ids.completed}?view=table&task=task2`));
    await page.getByRole('heading', { name: `Orchestration ${seed.ids.completed}` }).waitFor();
    await page.getByRole('region', { name: 'Task task2' }).waitFor();
    await page.goto(url(`/console/compensations/${seed.ids.failedCompensation}`));
    await page.getByRole('heading', { name: `Failed compensation ${seed.ids.failedCompensation}` }).waitFor();
    const eventId = (await seed.api.get('/webhooks/deliveries')).body.deliveries[0].eventId as string;
    await page.goto(url(`/console/webhooks?event=${encodeURIComponent(eventId)}`));
    await page.getByRole('heading', { name: `Event ${eventId}` }).waitFor();
    // Ids are copyable where they are shown on their own.
    await page.getByRole('button', { name: `Copy id: ${eventId.length > 40 ? eventId.slice(0, 40) + '…' : eventId}` }).waitFor();
    await context.close();
  });

  /**
   * The API requests a page makes (the stream itself and the console's files not counted): `since()` those
   * after the last `reset()`, and `settle()` waits until none is in flight (the read that follows the
   * stream's opening included) and resets.
   */
  function apiRequests(page: Page) {
    let seen: string[] = [];
    const open = new Set<unknown>();
    const isApi = (url: string) => {
      const u = new URL(url);
      return !u.pathname.startsWith('/console') && u.pathname !== '/events/stream';
    };
    page.on('request', (r) => {
      if (!isApi(r.url())) return;
      const u = new URL(r.url());
      seen.push(u.pathname + u.search);
      open.add(r);
    });
    page.on('requestfinished', (r) => open.delete(r));
    page.on('requestfailed', (r) => open.delete(r));
    return {
      since: () => seen,
      reset: () => (seen = []),
      settle: async () => {
        await waitFor(() => open.size === 0 || undefined, { what: 'no API request in flight' });
        seen = [];
      },
    };
  }
  /** Longer than the polling fallback's period (1.5 s) and the old 1 s refresh: a page that polls is caught. */
  const QUIET_MS = 3_200;

  it('shows a new orchestration live through the event stream, without polling, and a running DAG changing state as its tasks finish', async () => {
    const { context, page } = await openPage(browser);
    const requests = apiRequests(page);
    await signIn(page, seed.engine.url, seed.apiKey, '/console/orchestrations');
    await page.locator('tr[data-id]').first().waitFor();
    await page.locator('[data-live="stream"]').waitFor();
    await requests.settle();
    // While the stream is held and nothing happens, the page asks nothing: no refetch loop.
    await page.waitForTimeout(QUIET_MS);
    expect(requests.since()).toEqual([]);
    const startedAt = Date.now();
    const id = await seed.start('ORD-LIVE-1');
    await page.locator(`tr[data-id="${id}"] .status[data-status="completed"]`).waitFor({ timeout: 20_000 });
    // A figure, not an assertion: the bar is 3 s; a loaded machine must not fail the test.
    console.info(`console: new orchestration completed on screen ${Date.now() - startedAt} ms after it was started`);
    expect(requests.since().length).toBeGreaterThan(0); // the refetches the stream's events caused

    // Payments and notify both held: the orchestration runs on while its first tasks finish, and no
    // logged event says so (the log has only the orchestration's end): the DAG moves by progress notices.
    const running = await seed.start('HOLD-LIVE-2', { notify: 'hold' });
    await page.goto(url(`/console/orchestrations/${running}`));
    const node = (task: string, status: string) => page.locator(`g.dag-node[data-task="${task}"][data-status="${status}"]`);
    await node('task1', 'processing').waitFor({ timeout: 20_000 });
    await page.locator('[data-live="stream"]').waitFor();
    // The running orchestration is not polled: what moves the DAG next can only come through the stream.
    await requests.settle();
    await page.waitForTimeout(QUIET_MS);
    expect(requests.since()).toEqual([]);
    seed.releasePayments();
    await node('task1', 'completed').waitFor({ timeout: 20_000 });
    await node('task3', 'processing').waitFor({ timeout: 20_000 });
    expect(await node('task2', 'completed').count()).toBe(1);
    expect(await page.locator('g.dag-node[data-task="task3"]').textContent()).toContain('processing');
    expect((await seed.api.get(`/orchestrations/${running}`)).body.status).toBe('processing');
    await screenshot(page, 'orchestration-running');
    seed.release();
    await node('task3', 'completed').waitFor({ timeout: 20_000 });
    await page.locator('dl.facts .status[data-status="completed"]').waitFor({ timeout: 20_000 });
    expect(requests.since().some((r) => r.startsWith(`/orchestrations/inspections/${running}`))).toBe(true);
    await context.close();
  });

  it('falls back to polling while the stream cannot be held, and goes back to the stream when it can', async () => {
    const { context, page } = await openPage(browser);
    await context.route('**/events/stream*', (r) => r.abort());
    await signIn(page, seed.engine.url, seed.apiKey, '/console/orchestrations');
    await page.locator('tr[data-id]').first().waitFor();
    await page.locator('[data-live="polling"]').waitFor({ timeout: 20_000 });
    await page.getByRole('note').filter({ hasText: 'cannot be reached' }).waitFor();
    const id = await seed.start('ORD-POLL-1');
    await page.locator(`tr[data-id="${id}"] .status[data-status="completed"]`).waitFor({ timeout: 20_000 });
    await context.unroute('**/events/stream*');
    await page.locator('[data-live="stream"]').waitFor({ timeout: 30_000 });
    expect(await page.getByRole('note').filter({ hasText: 'cannot be reached' }).count()).toBe(0);
    await context.close();
  });

  it('pauses while the tab is hidden (no stream, no requests) and catches up when it is shown', async () => {
    const { context, page } = await openPage(browser);
    const requests = apiRequests(page);
    await signIn(page, seed.engine.url, seed.apiKey, '/console/orchestrations');
    await page.locator('[data-live="stream"]').waitFor();
    const setHidden = (hidden: boolean) =>
      page.evaluate((h) => {
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);
    await setHidden(true);
    await page.locator('[data-live="paused"]').waitFor();
    await requests.settle();
    const id = await seed.start('ORD-HIDDEN-1');
    await waitFor(async () => ((await seed.api.get(`/orchestrations/${id}`)).body.status === 'completed' ? true : undefined), { what: 'the orchestration completed' });
    await page.waitForTimeout(QUIET_MS);
    expect(requests.since()).toEqual([]);
    expect(await page.locator(`tr[data-id="${id}"]`).count()).toBe(0);
    await setHidden(false);
    await page.locator(`tr[data-id="${id}"] .status[data-status="completed"]`).waitFor({ timeout: 10_000 });
    await page.locator('[data-live="stream"]').waitFor();
    await context.close();
  });

  it('holds new rows behind "N new" while scrolled down instead of moving rows under the cursor', async () => {
    const { context, page } = await openPage(browser, { viewport: { width: 1000, height: 260 } });
    await signIn(page, seed.engine.url, seed.apiKey, '/console/orchestrations');
    await page.locator('tr[data-id]').first().waitFor();
    await page.mouse.wheel(0, 400);
    await page.waitForFunction(() => scrollY > 0);
    const id = await seed.start('ORD-NEW-1');
    const banner = page.getByRole('button', { name: /^1 new — show$/ });
    await banner.waitFor({ timeout: 20_000 });
    expect(await page.locator(`tr[data-id="${id}"]`).count()).toBe(0);
    await banner.click();
    await page.locator(`tr[data-id="${id}"]`).waitFor();
    await context.close();
  });

  it('skips the rendering of list rows off screen, yet keeps them in the page, the accessibility tree and the keyboard path', async () => {
    // Rows off screen carry `content-visibility: auto` on wide screens (the 200-row render, bench/README.md):
    // `checkVisibility({ contentVisibilityAuto: true })` is false for what the browser skipped. The window is
    // short: Chromium renders rows within a margin around the viewport.
    const { context, page } = await openPage(browser, { viewport: { width: 1000, height: 120 } });
    await signIn(page, seed.engine.url, seed.apiKey, '/console/orchestrations');
    await page.locator('tr[data-id]').first().waitFor();
    const rows = page.locator('tr[data-id]');
    const n = await rows.count();
    const last = rows.nth(n - 1);
    const lastLink = last.locator('a');
    const rendered = () => lastLink.evaluate((a) => a.checkVisibility({ contentVisibilityAuto: true }));
    await expect.poll(rendered).toBe(false);
    const lastId = (await last.getAttribute('data-id'))!;
    expect(await page.getByRole('row').count()).toBe(n + 1);
    expect(await page.getByRole('cell', { name: lastId }).count()).toBe(1);
    await lastLink.focus();
    await page.waitForFunction((id) => document.activeElement?.textContent === id, lastId);
    await expect.poll(rendered).toBe(true);
    await context.close();
  });

  it('answers the keyboard (/, j, k, Enter, ?) and keeps the theme and time-zone choices', async () => {
    const { context, page } = await openPage(browser);
    await signIn(page, seed.engine.url, seed.apiKey, '/console/orchestrations');
    await page.locator('tr[data-id]').first().waitFor();
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.hasAttribute('data-search'))).toBe(true);
    await page.keyboard.press('Escape');
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    const first = await page.locator('tr[data-id]').first().getAttribute('data-id');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(first);
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/console/orchestrations/${first}$`));
    await page.keyboard.press('?');
    await page.getByRole('dialog', { name: 'Keyboard' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByLabel('Theme').selectOption('dark');
    await page.getByLabel('Times').selectOption('utc');
    await page.reload();
    await page.locator('dl.facts').waitFor();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(await page.locator('dl.facts dd').nth(2).textContent()).toMatch(/ UTC$/);
    await context.close();
  });

  it('draws the failed-and-compensated DAG: which task failed and which were undone, in undo order', async () => {
    const { context, page } = await openPage(browser);
    await signIn(page, seed.engine.url, seed.apiKey, `/console/orchestrations/${seed.ids.compensated}`);
    await page.locator('svg.dag').waitFor();
    const node = (task: string) => page.locator(`g.dag-node[data-task="${task}"]`);
    expect(await node('task3').getAttribute('data-status')).toBe('failed');
    expect(await node('task3').textContent()).toContain('failed');
    // Undone in reverse order of completion: inventory first, then payments.
    expect(await node('task2').getAttribute('data-undone')).toBe('1');
    expect(await node('task1').getAttribute('data-undone')).toBe('2');
    expect(await node('task2').textContent()).toContain('undone #1');
    const lane = await page.locator('[data-testid="undo-order"] li').evaluateAll((items) => items.map((i) => i.getAttribute('data-task')));
    expect(lane).toEqual(['task2', 'task1']);
    await screenshot(page, 'orchestration');
    await context.close();
  });

  it('resolves only with a reason, and the audit entry names the key', async () => {
    const id = seed.ids.failedCompensation;
    const { context, page } = await openPage(browser);
    await signIn(page, seed.engine.url, seed.apiKey, `/console/compensations/${id}`);
    await page.getByRole('button', { name: 'Resolve', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'A reason is required' }).waitFor();
    expect((await seed.api.get(`/compensation-failures/${id}`)).body.resolutionState).toBe('pending');
    await screenshot(page, 'compensation');
    await page.getByLabel('Reason (required to resolve or ignore)').fill('refunded by hand in the bank portal');
    await page.getByRole('button', { name: 'Resolve', exact: true }).click();
    await page.locator('[data-resolution="resolved"]').waitFor({ timeout: 20_000 });
    expect((await seed.api.get(`/compensation-failures/${id}`)).body).toMatchObject({ resolutionState: 'resolved', resolution: 'refunded by hand in the bank portal' });
    const { entries } = (await seed.api.get(`/audit?item=${id}`)).body;
    expect(entries).toEqual([
      expect.objectContaining({ action: 'compensation.resolve', client: 'console', keyLabel: 'primary', keyId: expect.stringMatching(/^[0-9a-f]{12}$/), reason: 'refunded by hand in the bank portal' }),
    ]);
    await page.goto(url(`/console/activity?item=${id}`));
    await page.locator(`[data-audit="${entries[0].id}"]`).waitFor();
    expect(await page.locator(`[data-audit="${entries[0].id}"]`).textContent()).toContain('primary');
    await screenshot(page, 'activity');
    await context.close();
  });

  it("shows a retry's real outcome: a failure, then a success", async () => {
    const orchestration = await seed.start('BAD-2001', { notify: 'fail' });
    const id = await pendingFor(orchestration);
    const { context, page } = await openPage(browser);
    await signIn(page, seed.engine.url, seed.apiKey, `/console/compensations/${id}`);
    const result = page.getByTestId('action-result');
    await page.getByRole('button', { name: 'Retry', exact: true }).click();
    await result.filter({ hasText: 'Retry failed: attempt 2: ' }).waitFor({ timeout: 30_000 });
    expect(await result.textContent()).toContain('refund rejected by the bank');
    seed.setRefundsFail(false);
    try {
      await page.getByRole('button', { name: 'Retry', exact: true }).click();
      await result.filter({ hasText: 'Retry succeeded: attempt 3' }).waitFor({ timeout: 30_000 });
    } finally {
      seed.setRefundsFail(true);
    }
    expect((await seed.api.get(`/compensation-failures/${id}`)).body.resolutionState).toBe('resolved');
    await context.close();
  });

  it('bulk-resolves exactly the number the server counted', async () => {
    const made = await Promise.all(['BAD-3001', 'BAD-3002', 'BAD-3003'].map((o) => seed.start(o, { notify: 'fail' })));
    await Promise.all(made.map(pendingFor));
    const pending = ((await seed.api.get('/compensation-failures?resolution=pending&service=payments')).body as { id: string }[]).map((c) => c.id);
    expect(pending.length).toBeGreaterThanOrEqual(3);
    const { context, page } = await openPage(browser);
    await signIn(page, seed.engine.url, seed.apiKey, '/console/compensations?service=payments');
    await page.getByLabel('Reason', { exact: true }).fill('bank batch refund 2026-12');
    await page.getByRole('button', { name: 'Count' }).click();
    const counted = Number(await page.locator('[data-bulk-count]').textContent());
    expect(counted).toBe(pending.length);
    await screenshot(page, 'compensations');
    await page.getByRole('button', { name: `Confirm ${counted}` }).click();
    await page.getByRole('status').filter({ hasText: `${counted} resolved.` }).waitFor({ timeout: 30_000 });
    for (const id of pending) expect((await seed.api.get(`/compensation-failures/${id}`)).body.resolutionState).toBe('resolved');
    expect((await seed.api.get('/compensation-failures?resolution=pending&service=payments')).body).toBeNull();
    const bulk = (await seed.api.get('/audit?action=compensation.bulk')).body.entries;
    expect(bulk).toEqual([expect.objectContaining({ client: 'console', reason: 'bank batch refund 2026-12', after: expect.objectContaining({ count: counted }) })]);
    await context.close();
  });

  it('lists services with their connection, and removes an endpoint only after its URL is typed', async () => {
    const { context, page } = await openPage(browser);
    await signIn(page, seed.engine.url, seed.apiKey, '/console/services');
    for (const name of ['payments', 'inventory', 'notify']) await page.locator(`tr[data-service="${name}"] .status[data-status="connected"]`).waitFor();
    await page.getByText('3 of 3 registered connected now.').waitFor();
    // A service that never connects, and an orchestration waiting for it: the screen counts it, live.
    const schema = { input: { type: 'object', properties: { orderId: { type: 'string' } } }, output: { type: 'object', properties: { ok: { type: 'boolean' } } } };
    const courier = (await seed.api.post('/register/service', { name: 'courier', description: 'Books a courier (not running)', schema })).body.id as string;
    const plan = { tasks: [{ id: 'task0', input: { orderId: 'ORD-WAIT-1' } }, { id: 'task1', service: courier, input: { orderId: '$task0.orderId' } }] };
    const waiting = (await seed.api.post('/orchestrations', { action: { content: 'Book a courier for ORD-WAIT-1' }, plan })).body.id as string;
    await page.locator('tr[data-service="courier"] [data-tasks="1"]', { hasText: '1 until it connects' }).waitFor({ timeout: 20_000 });
    await page.getByText('1 task waits for courier to connect.', { exact: false }).waitFor();
    await screenshot(page, 'services');
    expect((await seed.api.post(`/orchestrations/${waiting}/abort`, { reason: 'courier never came' })).status).toBe(200);
    await page.locator('tr[data-service="courier"] [data-tasks="0"]').waitFor({ timeout: 20_000 });
    // A second endpoint, removed here so the seeded one stays for the other tests.
    const spare = (await seed.api.post('/webhooks', { url: 'https://example.com/spare-hooks' })).body.id as string;
    await page.goto(url(`/console/webhooks?endpoint=${spare}`));
    const remove = page.getByRole('button', { name: 'Remove' });
    await remove.waitFor();
    expect(await remove.isDisabled()).toBe(true);
    await page.getByLabel('Type the URL to remove this endpoint').fill('https://example.com/spare');
    expect(await remove.isDisabled()).toBe(true);
    await page.getByLabel('Type the URL to remove this endpoint').fill('https://example.com/spare-hooks');
    await remove.click();
    await page.getByRole('status').filter({ hasText: 'Removed.' }).waitFor();
    expect((await seed.api.get(`/webhooks/${spare}`)).status).toBe(404);
    expect((await seed.api.get(`/audit?item=${spare}&action=webhook.delete`)).body.entries).toEqual([expect.objectContaining({ client: 'console' })]);
    await context.close();
  });

  it("shows an endpoint's breaker tripping live (failing, since when, events held), and pauses and resumes it from the page, audited", async () => {
    const down = await new WebhookReceiver().listen();
    down.reply = () => ({ status: 503, body: 'down' });
    const id = (await seed.api.post('/webhooks', { url: down.url })).body.id as string;
    const { context, page } = await openPage(browser);
    try {
      await signIn(page, seed.engine.url, seed.apiKey, `/console/webhooks?endpoint=${id}`);
      const row = page.locator(`tr[data-endpoint="${id}"]`);
      await row.locator('[data-state="active"]').waitFor();
      await page.locator('[data-live="stream"]').waitFor();
      // Events for it fail: five failed attempts in a row over two events or more trip its breaker. The
      // page is not reloaded: the webhook.endpoint.failing event in the stream refreshes it.
      for (let i = 0; i < 4; i++) await seed.start(`ORD-BRK-${i}`);
      const tripped = row.locator('[data-state="failing"], [data-state="probing"]');
      await tripped.waitFor({ timeout: 20_000 });
      const api = (await seed.api.get(`/webhooks/${id}`)).body as { state: string; heldEvents: number; stateSince: string };
      expect(api.heldEvents).toBeGreaterThan(0);
      await row.locator(`[data-held="${api.heldEvents}"]`).waitFor({ timeout: 10_000 });
      // Text and icon, never colour alone; and since when.
      expect(await tripped.locator('.status').textContent()).toMatch(/^(▲ failing|◐ probing)$/);
      expect(await tripped.locator('[data-since]').textContent()).toMatch(/^since \S/);
      await page.locator('dl.facts[data-breaker]').getByText('Held events').waitFor();
      // Its pending deliveries say they are held (their retry schedule is frozen), not when they retry.
      await page.locator('tr[data-event]', { hasText: down.url }).locator('[data-held-by]').first().waitFor();
      expect(await page.getByText(`orra webhooks pause ${id}`, { exact: true }).count()).toBe(1);
      await screenshot(page, 'webhooks');

      // Pause from the page: JSON with the console's header, audited as the console's.
      await page.getByRole('button', { name: 'Pause', exact: true }).click();
      await page.getByRole('status').filter({ hasText: /^Paused: now paused/ }).waitFor();
      await row.locator('[data-state="paused"]').waitFor();
      expect((await seed.api.get(`/webhooks/${id}`)).body.state).toBe('paused');
      expect((await seed.api.get(`/audit?item=${id}&action=webhook.pause`)).body.entries).toEqual([expect.objectContaining({ client: 'console', action: 'webhook.pause' })]);
      await page.getByText(`orra webhooks resume ${id}`, { exact: true }).waitFor();

      // Resume: it was failing when paused, so it goes back to failing (and is probed at once).
      await page.getByRole('button', { name: 'Resume', exact: true }).click();
      await page.getByRole('status').filter({ hasText: /^Resumed: now (failing|probing)/ }).waitFor();
      await row.locator('[data-state="failing"], [data-state="probing"]').waitFor();
      expect((await seed.api.get(`/webhooks/${id}`)).body.state).toMatch(/^(failing|probing)$/);
      expect((await seed.api.get(`/audit?item=${id}&action=webhook.resume`)).body.entries).toEqual([expect.objectContaining({ client: 'console', action: 'webhook.resume' })]);
    } finally {
      await context.close();
      await seed.api.delete(`/webhooks/${id}`);
      await down.close();
    }
  });

  it("shows each endpoint's last status and 24 h success rate, and disables one only after a confirmation, audited", async () => {
    const receiver = await new WebhookReceiver().listen();
    const id = (await seed.api.post('/webhooks', { url: receiver.url })).body.id as string;
    const { context, page } = await openPage(browser);
    try {
      // Two real test sends: a 204, then a 500 (the latest).
      receiver.reply = () => ({ status: 204, body: '' });
      expect((await seed.api.post(`/webhooks/${id}/test`)).body.succeeded).toBe(true);
      receiver.reply = () => ({ status: 500, body: 'boom' });
      expect((await seed.api.post(`/webhooks/${id}/test`)).body.succeeded).toBe(false);
      await signIn(page, seed.engine.url, seed.apiKey, `/console/webhooks?endpoint=${id}`);
      const row = page.locator(`tr[data-endpoint="${id}"]`);
      // Outcome as icon and text, the HTTP status, and when; the rate with the counts it comes from.
      await row.locator('[data-last-status]', { hasText: 'HTTP 500' }).waitFor();
      expect(await row.locator('[data-last-status] .status').textContent()).toBe('✕ failed');
      expect(await row.locator('[data-last-status]').textContent()).toMatch(/HTTP 500 at \S/);
      expect(await row.locator('[data-success]').textContent()).toBe('50 % (1 of 2)');
      // A test sent from the page updates the row.
      receiver.reply = () => ({ status: 200, body: 'ok' });
      await row.getByRole('button', { name: 'Send test' }).click();
      await page.getByRole('status').filter({ hasText: 'Test event delivered (HTTP 200).' }).waitFor();
      await row.locator('[data-success]', { hasText: '66.6 % (2 of 3)' }).waitFor();
      expect(await row.locator('[data-last-status] .status').textContent()).toBe('✓ succeeded');

      // Rotate secret and Recover show their orra commands (no curl): Recover's names the time picked.
      await page.getByText(`orra webhooks rotate-secret ${id}`, { exact: true }).waitFor();
      await page.getByText(`orra webhooks recover ${id} --since 24h`, { exact: true }).waitFor();
      await page.getByLabel('Redeliver everything that failed since').fill('2026-10-27T15:00');
      await page.getByText(`orra webhooks recover ${id} --since ${new Date('2026-10-27T15:00').toISOString()}`, { exact: true }).waitFor();
      expect(await page.locator('.cli code', { hasText: 'curl' }).count()).toBe(0);

      // Disable asks first; Cancel changes nothing.
      const disable = page.getByRole('button', { name: 'Disable', exact: true });
      await page.getByText(`orra webhooks disable ${id}`, { exact: true }).waitFor();
      await page.getByText(`orra webhooks test ${id}`, { exact: true }).waitFor();
      await page.getByRole('button', { name: `Copy id: ${id}` }).waitFor();
      await disable.click();
      const dialog = page.getByRole('alertdialog');
      await dialog.getByText(`Disable ${id}?`, { exact: false }).waitFor();
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      expect(await page.getByRole('alertdialog').count()).toBe(0);
      expect((await seed.api.get(`/webhooks/${id}`)).body.enabled).toBe(true);
      await disable.click();
      await page.getByRole('button', { name: 'Confirm disable' }).click();
      await page.getByRole('status').filter({ hasText: /^Disabled: \d+ held event/ }).waitFor();
      // The webhook.endpoint.disabled event in the stream refreshes the row; Enable takes Disable's place.
      await row.locator('[data-state="disabled"]').waitFor();
      await page.getByRole('button', { name: 'Enable', exact: true }).waitFor();
      expect(await page.getByRole('button', { name: 'Disable', exact: true }).count()).toBe(0);
      expect((await seed.api.get(`/webhooks/${id}`)).body).toMatchObject({ enabled: false, state: 'disabled' });
      expect((await seed.api.get(`/audit?item=${id}&action=webhook.disable`)).body.entries).toEqual([
        expect.objectContaining({ client: 'console', action: 'webhook.disable', before: expect.objectContaining({ enabled: true }), after: expect.objectContaining({ enabled: false }) }),
      ]);
    } finally {
      await context.close();
      await seed.api.delete(`/webhooks/${id}`);
      await receiver.close();
    }
  });

  it('shows a failing endpoint recovering live, without reload, when its probe gets through', async () => {
    const { context, page } = await openPage(browser);
    await signIn(page, seed.engine.url, seed.apiKey, '/console/webhooks');
    const row = page.locator(`tr[data-endpoint="${seed.failingEndpoint}"]`);
    await row.locator('[data-state="failing"], [data-state="probing"]').waitFor();
    await page.locator('[data-live="stream"]').waitFor();
    // The receiver is back: the next probe (about a second away) recovers the endpoint, and the
    // webhook.endpoint.recovered event in the stream is what refreshes the page.
    seed.receiver.reply = () => ({ status: 200, body: '{"ok":true}' });
    await row.locator('[data-state="active"]').waitFor({ timeout: 20_000 });
    await waitFor(async () => (await seed.api.get(`/webhooks/${seed.failingEndpoint}`)).body.heldEvents === 0, { timeoutMs: 20_000, what: 'the held events to be sent' });
    const recovered = (await seed.api.get('/events?type=webhook.endpoint.recovered')).body.data as { subject: string }[];
    expect(recovered.map((e) => e.subject)).toContain(seed.failingEndpoint);
    await context.close();
  });

  it('redelivers a failed delivery and shows the new attempt', async () => {
    const { context, page } = await openPage(browser);
    await signIn(page, seed.engine.url, seed.apiKey, '/console/webhooks?status=failed');
    // One of the seeded endpoint's (it has recovered: the new attempt is sent, not held).
    const row = page.locator('tr[data-event]', { hasText: seed.receiver.url }).first();
    await row.waitFor();
    const eventId = (await row.getAttribute('data-event'))!;
    const attempts = Number(await row.locator('[data-attempts]').textContent());
    const received = seed.receiver.received.length;
    // The receiver now answers with a header of its own, which the new attempt's detail must show.
    seed.receiver.reply = () => ({ status: 200, body: '{"ok":true}', headers: { 'x-receiver': 'yes' } });
    const button = row.getByRole('button', { name: /^Redeliver/ });
    // Its label stays whole on one line (table cells may break long ids anywhere; a button's word must not).
    expect(await button.evaluate((b) => {
      const range = document.createRange();
      range.selectNodeContents(b);
      return range.getClientRects().length;
    })).toBe(1);
    // The command hint names a delivery listed (the newest), not a placeholder; after Redeliver, that one.
    const newest = (await page.locator('tr[data-event]').first().getAttribute('data-event'))!;
    await page.locator('.cli code', { hasText: new RegExp(`^orra webhooks redeliver ${newest} --endpoint wh_\\w+$`) }).waitFor();
    await button.click();
    await page.getByRole('status').filter({ hasText: `Requeued 1 delivery of ${eventId}` }).waitFor();
    await page.getByText(`orra webhooks redeliver ${eventId} --endpoint ${seed.failingEndpoint}`, { exact: true }).waitFor();
    await page.goto(url(`/console/webhooks?event=${encodeURIComponent(eventId)}`));
    await page.locator(`[data-attempt-log] tr:nth-child(${attempts + 1})`).waitFor({ timeout: 30_000 });
    expect(seed.receiver.received.length).toBeGreaterThan(received);
    // The new attempt's headers, collapsed until opened: what was sent (as the receiver got it) and what came back.
    const attempt = page.locator(`[data-attempt-log] tr:nth-child(${attempts + 1})`);
    const sent = seed.receiver.byEventId(eventId).at(-1)!;
    const requestHeaders = attempt.locator('details[data-headers="request"]');
    expect(await requestHeaders.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    await requestHeaders.locator('summary').click();
    const valueOf = (list: typeof requestHeaders, name: string) => list.locator('dt', { hasText: new RegExp(`^${name}$`) }).locator('xpath=following-sibling::dd[1]').textContent();
    expect(await valueOf(requestHeaders, 'webhook-id')).toBe(eventId);
    expect(await valueOf(requestHeaders, 'webhook-signature')).toBe(sent.headers['webhook-signature']);
    expect(await valueOf(requestHeaders, 'x-orra-sequence')).toBe(sent.headers['x-orra-sequence']);
    const responseHeaders = attempt.locator('details[data-headers="response"]');
    await responseHeaders.locator('summary').click();
    expect(await valueOf(responseHeaders, 'x-receiver')).toBe('yes');
    await screenshot(page, 'webhook-event');
    await context.close();
  });
});
