import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';

/** Where screenshots go: test-results/console, or the docs' folder when regenerating them (npm run console:screenshots). */
export const SCREENSHOT_DIR = process.env.ORRA_CONSOLE_SCREENSHOTS ?? join('test-results', 'console');

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** A fresh browser context (its own cookies) with one page. */
export async function openPage(browser: Browser, options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  return { context, page };
}

/** Signs in through the sign-in form and waits for the console to load. */
export async function signIn(page: Page, baseUrl: string, apiKey: string, path = '/console'): Promise<void> {
  await page.goto(`${baseUrl}${path}`);
  await page.waitForURL(/\/console\/sign-in/);
  await page.fill('#api-key', apiKey);
  await page.click('button[type=submit]');
  await page.waitForURL((url) => !url.pathname.startsWith('/console/sign-in'));
  await page.waitForSelector('.role');
}
