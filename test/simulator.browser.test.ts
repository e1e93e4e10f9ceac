import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Transcript, replayTranscript } from '../src/cli/transcript.js';
import { loadConfig } from '../src/config.js';
import { createNodeGateway, type Gateway } from '../src/runtime/node/gateway.js';
import { silentLogger } from '../src/observability/logger.js';
import { MENUS_DIR } from '../testkit/harness.js';
import { serveOnLoopback, type LoopbackServer } from '../testkit/loopback-server.js';

/** The web simulator, end to end: the gateway on a loopback port, Debian's Chromium driving the page. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let gateway: Gateway;
let server: LoopbackServer | undefined;
let browser: Browser;
let page: Page;
let url: string;
let pageHeaders: Record<string, string> = {};
const consoleErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (.ci/run does)`);
  gateway = await createNodeGateway(loadConfig({ MENUS_DIR, MENUS_WATCH: '0' }), silentLogger);
  server = await serveOnLoopback(gateway.app);
  url = server.baseUrl;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage();
  // The browser's own favicon request is not the page's.
  page.on('console', (message) => void (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico') && consoleErrors.push(message.text())));
  page.on('pageerror', (error) => void consoleErrors.push(error.message));
  const response = await page.goto(`${url}/simulator`);
  pageHeaders = response?.headers() ?? {};
  await page.waitForSelector('body[data-ready="yes"]');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  void server?.close();
  await gateway?.close();
});

const screen = () => page.getByTestId('screen').textContent();
async function press(input: string): Promise<void> {
  const before = await page.getByTestId('trace').locator('li').count();
  await page.getByTestId('entry').fill(input);
  await page.getByTestId('send').click();
  // Polled through locators, not page-side string expressions: the page's Content-Security-Policy
  // forbids evaluating strings, for the test as for an attacker.
  await expect.poll(() => page.getByTestId('trace').locator('li').count()).toBeGreaterThan(before);
}
async function dial(provider: string, code: string): Promise<void> {
  await page.getByTestId('provider').selectOption(provider);
  await page.getByTestId('code').fill(code);
  await page.getByTestId('dial').click();
  await expect.poll(async () => (await page.getByTestId('trace').locator('li').count()) >= 1 && !(await screen())?.startsWith('Composez')).toBe(true);
}

describe('web simulator in Chromium', () => {
  it('runs under a Content-Security-Policy that allows only its own script and no framing', () => {
    expect(pageHeaders['content-security-policy']).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(pageHeaders['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(pageHeaders).toMatchObject({ 'x-frame-options': 'DENY', 'x-content-type-options': 'nosniff' });
    // The page really ran (data-ready) and nothing of it was blocked.
    expect(consoleErrors).toEqual([]);
  });

  it('lists every provider dialect and shows the dialled menu as Mermaid', async () => {
    const options = await page.getByTestId('provider').locator('option').allTextContents();
    expect(options).toEqual(['africastalking', 'hubtel', 'nalo', 'arkesel', 'mtn-madapi']);
    expect(await page.getByTestId('graph').textContent()).toMatch(/^flowchart TD/);
  });

  it('dials through the Hubtel route, walks to a request status, goes back on the way', async () => {
    await dial('hubtel', '*123#');
    expect(await screen()).toMatch(/^Service Public du Bénin\n1\.Suivre une demande/);
    expect(await page.getByTestId('counter').textContent()).toMatch(/^\d+\/160 GSM-7$/);
    await page.getByRole('button', { name: '1', exact: true }).click();
    await page.getByTestId('send').click();
    await expect.poll(screen).toMatch(/^Numéro/);
    await press('0');
    expect(await screen()).toMatch(/^Service Public du Bénin/);
    await press('1');
    await press('PS00373-240001');
    expect(await screen()).toMatch(/^PS00373-240001 Extrait de casier judiciaire\nStatut: Disponible le 20\/11\/2026\nA retirer: CCSP Cotonou 1/);
    expect(await screen()).toContain('[fin de session]');
    expect(await page.getByTestId('language').textContent()).toBe('langue: fr');
  });

  it('switches language over the Africa\'s Talking route and shows it', async () => {
    await dial('africastalking', '*123#');
    await press('4');
    expect(await page.getByTestId('counter').textContent()).toMatch(/UCS-2 \(çɔá\)$/); // "Français", "Fɔngbè", "Yorùbá"
    await press('2');
    expect(await screen()).toMatch(/^Benin Public Service\n1\.Track a request/);
    expect(await page.getByTestId('language').textContent()).toBe('langue: en');
  });

  it('saves the session as a transcript that `guichet menus test` replays', async () => {
    await page.getByTestId('save').click();
    const yaml = await page.getByTestId('save').getAttribute('data-yaml');
    const transcript = Transcript.parse(parseYaml(yaml!));
    expect(transcript.hops.map((h) => h.send)).toEqual([undefined, '4', '2']);
    // A fresh gateway: the recorded walk started in French.
    const fresh = await createNodeGateway(loadConfig({ MENUS_DIR, MENUS_WATCH: '0' }), silentLogger);
    expect(await replayTranscript(fresh.app, transcript, 'replayed')).toEqual({ name: transcript.name, ok: true });
    await fresh.close();
  });

  it('marks the draft Fon and Yoruba texts of the screen shown', async () => {
    await dial('africastalking', '*123#');
    // The number chose English above: the home screen is English, reviewed, no mark.
    expect(await page.getByTestId('drafts').textContent()).toBe('');
    await press('4');
    await press('4');
    // Spelled: the five entries take more than one UCS-2 screen of 70 (see README, National languages).
    expect(await screen()).toMatch(/^Ise Ijoba Bene\n1\.Topa ibeere/);
    await expect.poll(() => page.getByTestId('drafts').getAttribute('data-count')).toBe('6');
    const marks = await page.getByTestId('drafts').textContent();
    expect(marks).toMatch(/^⚠ BROUILLON \(draft\)/);
    expect(marks).toContain('• nodes/home/text: Iṣẹ́ Ìjọba Bẹ̀nẹ̀');
    expect(marks).toContain('• navigation (0, 00, 98) et messages du service');
    expect(await page.getByTestId('language').textContent()).toBe('langue: yor');
  });

  it('takes a screenshot of the phone', async () => {
    const png = await page.screenshot({ fullPage: true, ...(process.env.SIMULATOR_SCREENSHOT ? { path: process.env.SIMULATOR_SCREENSHOT } : {}) });
    expect(png.length).toBeGreaterThan(5_000);
    expect([...png.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  });
});
