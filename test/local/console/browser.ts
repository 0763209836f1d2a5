/**
 * Debian's chromium through puppeteer-core (which downloads no browser). Where no browser is
 * installed the browser tests skip and say why.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';

/** Flags that work on these machines (root, no GPU, no network beyond loopback). */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The browser binary: `$CHROMIUM_PATH`, else the first of the usual Debian paths that exists. */
export function findChromium(): string | undefined {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  return CANDIDATES.find((path) => existsSync(path));
}

/** Why browser tests skip here, or false when a browser is installed. */
export function browserSkipReason(): string | false {
  if (findChromium()) return false;
  const reason = `no chromium found (${process.env.CHROMIUM_PATH ?? CANDIDATES.join(', ')}): apt-get install -y chromium`;
  process.stdout.write(`# browser tests skipped: ${reason}\n`);
  return reason;
}

/** A fresh profile directory per launch, removed on close. */
export async function launchBrowser(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const { default: puppeteer } = await import('puppeteer-core');
  const userDataDir = mkdtempSync(join(tmpdir(), 'console-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: findChromium()!,
    headless: true,
    userDataDir,
    args: CHROMIUM_FLAGS.slice(1),
    protocolTimeout: 60_000,
  });
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
