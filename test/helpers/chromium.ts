// Browser tests drive Debian's Chromium (/usr/bin/chromium) through playwright-core, which never downloads a
// browser of its own. Without Chromium the suites say they were skipped and how to install it, unless
// GATEHOUSE_TEST_REQUIRE_BROWSER=1 (CI), where loading this helper fails instead.
import { existsSync, mkdirSync } from 'node:fs';
import { Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const BROWSER_SKIP_REASON = `browser tests: ${CHROMIUM_PATH} is missing (apt-get install -y chromium)`;

const chromiumMissing = !existsSync(CHROMIUM_PATH);
if (chromiumMissing && process.env.GATEHOUSE_TEST_REQUIRE_BROWSER === '1') {
  throw new Error(`GATEHOUSE_TEST_REQUIRE_BROWSER=1 but ${CHROMIUM_PATH} is missing: apt-get install -y chromium`);
}

/** The reason browser suites are skipped here, or false when Chromium can run. */
export const browserSkip: string | false = chromiumMissing ? BROWSER_SKIP_REASON : false;

/**
 * describe(title, body) when Chromium is installed. Without it, a suite holding one skipped test: a
 * skipped describe alone is not counted by scripts/test.mjs, a skipped test is, with its reason.
 */
export function describeInBrowser(title: string, body: () => void): void {
  if (browserSkip) {
    describe(title, () => test('runs in Chromium', { skip: browserSkip }, () => {}));
    return;
  }
  describe(title, body);
}

/** `args`: more Chromium switches (e.g. --ignore-certificate-errors-spki-list for Gatehouse's local CA). */
export async function launchBrowser(args: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...args,
    ],
  });
}

/** docs/screenshots/ of the repository, from dist/test/helpers/. */
export const SCREENSHOTS_DIR = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));

/** Saves the viewport as docs/screenshots/<name>.png, for the README and docs. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  const path = join(SCREENSHOTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true, animations: 'disabled', caret: 'hide' });
  return path;
}

/** Starts an example app (an Express app, or a node:http server) on 127.0.0.1; port 0 picks a free one. */
export async function listenOn(
  app: { listen(port: number, host: string): Server } | Server,
  port = 0,
): Promise<Server> {
  const server = app instanceof Server ? app.listen(port, '127.0.0.1') : app.listen(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  return server;
}

/** Stops an example app's server, its keep-alive connections included. */
export async function closeServer(server: Server | undefined): Promise<void> {
  if (!server?.listening) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
