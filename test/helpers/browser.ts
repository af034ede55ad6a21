import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium package; tests install nothing at run time (.ci/run installs the package). */
export const CHROMIUM = process.env.TRACEHOUND_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no browser at ${CHROMIUM}: apt-get install -y chromium (or set TRACEHOUND_CHROMIUM)`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

/**
 * With TRACEHOUND_SCREENSHOTS=DIR the browser tests save what they see there (the README's pictures come from
 * them); without it this does nothing.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.TRACEHOUND_SCREENSHOTS;
  if (!dir) return;
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: false });
}

/** Console errors and uncaught exceptions of a page, gathered so a test can require there were none. */
export function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

/** Opens `#/path` of the UI at `base` in a new page and answers its key prompt; the page's console errors gathered. */
export async function openSignedIn(
  browser: Browser,
  base: string,
  path: string,
  key: string,
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = consoleErrors(page);
  await page.goto(`${base}/#/${path}`);
  await page.getByPlaceholder('API key').fill(key);
  await page.getByRole('button', { name: 'Use key' }).click();
  return { page, errors };
}

/** Builds the web UI from source into a temp folder, so the test sees the code it sits beside. */
export async function buildUi(): Promise<{ dir: string; remove: () => void }> {
  const { build } = await import('vite');
  const dir = mkdtempSync(join(tmpdir(), 'tracehound-ui-'));
  await build({
    configFile: new URL('../../ui/vite.config.ts', import.meta.url).pathname,
    build: { outDir: dir, emptyOutDir: true },
    logLevel: 'error',
  });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
