import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createNodeGateway, type Gateway } from '../src/runtime/node/gateway.js';
import { silentLogger } from '../src/observability/logger.js';
import { MENUS_DIR } from '../testkit/harness.js';
import { serveOnLoopback, type LoopbackServer } from '../testkit/loopback-server.js';

/**
 * A person trying the career menu in the web simulator of the embedded default: the enrolment code
 * leaves on the sandbox route (nothing is sent), appears in the page's "SMS reçus" list, and typed
 * back it enrols the number. Chromium as in `test/simulator.browser.test.ts`.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let gateway: Gateway;
let server: LoopbackServer | undefined;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (.ci/run does)`);
  gateway = await createNodeGateway(loadConfig({ MENUS_DIR, MENUS_WATCH: '0' }), silentLogger);
  server = await serveOnLoopback(gateway.app);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  page = await browser.newPage();
  page.on('console', (message) => void (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico') && consoleErrors.push(message.text())));
  page.on('pageerror', (error) => void consoleErrors.push(error.message));
  await page.goto(`${server.baseUrl}/simulator`);
  await page.waitForSelector('body[data-ready="yes"]');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await gateway?.close();
});

const screen = () => page.getByTestId('screen').textContent();
async function press(input: string): Promise<void> {
  const before = await page.getByTestId('trace').locator('li').count();
  await page.getByTestId('entry').fill(input);
  await page.getByTestId('send').click();
  await expect.poll(() => page.getByTestId('trace').locator('li').count()).toBeGreaterThan(before);
}

it('enrols on *123*7# with the code read from the page’s sandbox SMS list', async () => {
  await page.getByTestId('provider').selectOption('africastalking');
  await page.getByTestId('phone').fill('+2290166000002');
  await page.getByTestId('code').fill('*123*7#');
  await page.getByTestId('dial').click();
  await expect.poll(screen).toMatch(/^Carrière et retraite des agents de l'État/);
  await press('1');
  await press('1187540');
  await press('15091986');
  expect(await screen()).toMatch(/^Un code à 6 chiffres a été envoyé par SMS/);
  await expect.poll(() => page.getByTestId('sms').locator('li').count()).toBe(1);
  const shown = (await page.getByTestId('sms').locator('li').first().textContent()) ?? '';
  expect(shown).toMatch(/Guichet Carriere: votre code de confirmation est \d{6}\./);
  await press(/est (\d{6})\./.exec(shown)![1]!);
  expect(await screen()).toMatch(/^Ce numéro est inscrit/);
  await press('1');
  await press('4');
  expect(await screen()).toMatch(/^Dossier de pension: En cours d'instruction/);
  expect(consoleErrors).toEqual([]);
}, 60_000);
