/// <reference lib="dom" />
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedConsole, type ConsoleSeed } from '../../engine/test/helpers/console-seed.js';
import { launchChromium } from './helpers/browser.js';
import { openPage, screenshot, signIn } from './helpers/console-page.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const DIST = join(import.meta.dirname, '..', 'dist');

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's serious and critical findings on the page as it is now. */
async function seriousViolations(page: Page): Promise<string[]> {
  // The console's CSP forbids inline script; the test context bypasses it only to inject axe.
  await page.addScriptTag({ content: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, o: unknown): Promise<{ violations: Violation[] }> } }).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.help}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

describe('operator console: accessibility, small screens, size and caching', () => {
  let seed: ConsoleSeed;
  let browser: Browser;
  /** An event with attempts (the newest delivery to the seeded failing endpoint that has one). */
  let eventId: string;
  const screens = () => [
    ['overview', '/console', 'h1'],
    ['orchestrations', '/console/orchestrations', 'tr[data-id]'],
    ['orchestration', `/console/orchestrations/${seed.ids.compensated}`, 'svg.dag'],
    ['compensations', '/console/compensations', 'tr[data-id]'],
    ['compensation', `/console/compensations/${seed.ids.failedCompensation}`, 'dl.facts'],
    ['webhooks', '/console/webhooks', 'tr[data-event]'],
    // An endpoint's panel: its breaker (failing, in the breaker's colours), pause and the other actions.
    ['webhook-endpoint', `/console/webhooks?endpoint=${seed.failingEndpoint}`, 'dl.facts[data-breaker]'],
    // An event's page: its body and every attempt per endpoint, with their collapsed header lists.
    ['webhook-event', `/console/webhooks?event=${encodeURIComponent(eventId)}`, '[data-attempt-log] tr'],
    ['activity', '/console/activity', 'tr[data-audit]'],
    ['services', '/console/services', 'tr[data-service]'],
  ] as const;

  beforeAll(async () => {
    [seed, browser] = await Promise.all([seedConsole(), launchChromium()]);
    const answer = await fetch(`${seed.engine.url}/webhooks/deliveries?endpoint=${seed.failingEndpoint}&limit=50`, {
      headers: { authorization: `Bearer ${seed.apiKey}` },
    });
    const { deliveries } = (await answer.json()) as { deliveries: { eventId: string; attempts: number }[] };
    eventId = deliveries.find((d) => d.attempts > 0)!.eventId;
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await seed?.close();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`has no serious or critical axe-core finding on any screen (${colorScheme})`, async () => {
      const { context, page } = await openPage(browser, { colorScheme, bypassCSP: true });
      await page.goto(`${seed.engine.url}/console/sign-in`);
      await page.locator('#api-key').waitFor();
      const found: Record<string, string[]> = { 'sign-in': await seriousViolations(page) };
      await signIn(page, seed.engine.url, seed.apiKey);
      for (const [name, path, ready] of screens()) {
        await page.goto(seed.engine.url + path);
        await page.locator(ready).first().waitFor();
        found[name] = await seriousViolations(page);
        if (colorScheme === 'dark' && name === 'orchestration') await screenshot(page, `${name}-dark`);
      }
      expect(found).toEqual(Object.fromEntries(Object.keys(found).map((k) => [k, []])));
      await context.close();
    });
  }

  it('has no horizontal scroll at 375 px on the main screens', async () => {
    const { context, page } = await openPage(browser, { viewport: { width: 375, height: 800 } });
    await signIn(page, seed.engine.url, seed.apiKey);
    const widths: Record<string, number> = {};
    for (const [name, path, ready] of screens()) {
      await page.goto(seed.engine.url + path);
      await page.locator(ready).first().waitFor();
      widths[name] = await page.evaluate(() => document.documentElement.scrollWidth);
      if (name === 'orchestration') await screenshot(page, 'orchestration-375px');
    }
    expect(widths).toEqual(Object.fromEntries(Object.keys(widths).map((k) => [k, 375])));
    await context.close();
  });

  it('stays within the size budget: initial JS ≤ 30 KB, CSS ≤ 10 KB, all ≤ 120 KB (gzip)', () => {
    const report = JSON.parse(readFileSync(join(DIST, 'size-report.json'), 'utf8')) as { initialJsGzip: number; cssGzip: number; totalGzip: number };
    expect(report.initialJsGzip).toBeLessThanOrEqual(30 * 1024);
    expect(report.cssGzip).toBeLessThanOrEqual(10 * 1024);
    expect(report.totalGzip).toBeLessThanOrEqual(120 * 1024);
  });

  it('serves hashed files pre-compressed and cached for good, and the page with a strict CSP', async () => {
    const html = readFileSync(join(DIST, 'index.html'), 'utf8');
    const js = /src="(\/console\/assets\/main-[A-Z0-9]+\.js)"/.exec(html)![1]!;
    const br = await fetch(seed.engine.url + js, { headers: { 'accept-encoding': 'br' } });
    expect(br.status).toBe(200);
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('cache-control')).toMatch(/max-age=31536000.*immutable|immutable.*max-age=31536000/);
    const gz = await fetch(seed.engine.url + js, { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    const page = await fetch(`${seed.engine.url}/console/sign-in`);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers.get('cache-control')).toBe('no-cache');
  });
});
