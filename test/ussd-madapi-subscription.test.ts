import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ERROR_EXAMPLE, SUBSCRIPTION_REQUEST_EXAMPLE, SUBSCRIPTION_RESPONSE_EXAMPLE } from '../providers/mtn-madapi/fixtures.js';
import { main } from '../src/cli/guichet.js';

const API_KEY = 'madapi-key-never-printed';

/** A loopback MADAPI answering with the swagger's samples, recording every request. */
class FakeMadapi {
  readonly requests: { method: string; path: string; apiKey: string | undefined; body: unknown }[] = [];
  /** Status to answer the next POST with (201 by default). */
  nextPostStatus = 201;
  private server!: Server;
  private ids = 0;

  async start(): Promise<string> {
    this.server = createServer(async (req, res) => {
      const body = await readBody(req);
      this.requests.push({ method: req.method ?? '', path: req.url ?? '', apiKey: req.headers['x-api-key'] as string | undefined, body });
      res.setHeader('content-type', 'application/json');
      if (req.headers['x-api-key'] !== API_KEY) {
        res.statusCode = 401;
        res.end(JSON.stringify({ ...ERROR_EXAMPLE, statusCode: '4010', statusMessage: 'Invalid access token' }));
        return;
      }
      if (req.method === 'POST' && req.url === '/v1/messages/ussd/subscription') {
        res.statusCode = this.nextPostStatus;
        this.nextPostStatus = 201;
        if (res.statusCode !== 201) return res.end(JSON.stringify(ERROR_EXAMPLE));
        this.ids++;
        return res.end(JSON.stringify({ ...SUBSCRIPTION_RESPONSE_EXAMPLE, data: { subscriptionId: `${SUBSCRIPTION_RESPONSE_EXAMPLE.data.subscriptionId}-${this.ids}` } }));
      }
      if (req.method === 'DELETE' && req.url?.startsWith('/v1/messages/ussd/subscription/')) {
        res.statusCode = 200;
        return res.end(JSON.stringify({ ...SUBSCRIPTION_RESPONSE_EXAMPLE, statusMessage: 'OK' }));
      }
      res.statusCode = 404;
      res.end(JSON.stringify(ERROR_EXAMPLE));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text ? JSON.parse(text) : undefined;
}

let madapi: FakeMadapi;
let baseUrl: string;
let ledger: string;
const saved = { key: process.env.MADAPI_API_KEY, url: process.env.MADAPI_BASE_URL };

beforeEach(async () => {
  madapi = new FakeMadapi();
  baseUrl = await madapi.start();
  ledger = join(mkdtempSync(join(tmpdir(), 'madapi-')), 'subscriptions.json');
  process.env.MADAPI_API_KEY = API_KEY;
  process.env.MADAPI_BASE_URL = baseUrl;
});

afterEach(async () => {
  await madapi.stop();
  for (const [name, value] of [['MADAPI_API_KEY', saved.key], ['MADAPI_BASE_URL', saved.url]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

async function subscribe(...extra: string[]) {
  const lines: string[] = [];
  const code = await main(['madapi', 'subscribe', '--service-code', '*123#', '--callback-url', 'https://guichet.example.bj/ussd/mtn-madapi', '--ledger', ledger, ...extra], (l) => lines.push(l));
  return { code, output: lines.join('\n') };
}

describe('guichet madapi subscribe', () => {
  it('posts the swagger SubscriptionRequest with x-api-key, and records the subscriptionId', async () => {
    const first = await subscribe('--target-system', 'GUICHET');
    expect(first.code).toBe(0);
    expect(madapi.requests).toEqual([
      { method: 'POST', path: '/v1/messages/ussd/subscription', apiKey: API_KEY, body: { serviceCode: '*123#', callbackUrl: 'https://guichet.example.bj/ussd/mtn-madapi', targetSystem: 'GUICHET' } },
    ]);
    // The same fields as the swagger's example request.
    expect(Object.keys(madapi.requests[0]!.body as object).sort()).toEqual(Object.keys(SUBSCRIPTION_REQUEST_EXAMPLE).sort());
    expect(first.output).toContain('123-xyz-456-1');
    expect(JSON.parse(readFileSync(ledger, 'utf8'))).toMatchObject([{ serviceCode: '*123#', subscriptionId: '123-xyz-456-1' }]);
  });

  it('is idempotent: the same short code and callback again sends nothing', async () => {
    await subscribe();
    const again = await subscribe();
    expect(again.code).toBe(0);
    expect(again.output).toMatch(/nothing sent/);
    expect(madapi.requests).toHaveLength(1);
  });

  it('a new callback URL for the same short code deletes the old subscription, then creates one', async () => {
    await subscribe();
    const lines: string[] = [];
    const code = await main(['madapi', 'subscribe', '--service-code', '*123#', '--callback-url', 'https://new.example.bj/ussd/mtn-madapi', '--ledger', ledger], (l) => lines.push(l));
    expect(code).toBe(0);
    expect(madapi.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /v1/messages/ussd/subscription',
      'DELETE /v1/messages/ussd/subscription/123-xyz-456-1',
      'POST /v1/messages/ussd/subscription',
    ]);
    const records = JSON.parse(readFileSync(ledger, 'utf8')) as { callbackUrl: string }[];
    expect(records.map((r) => r.callbackUrl)).toEqual(['https://new.example.bj/ussd/mtn-madapi']);
  });

  it('a 409 is taken as already subscribed and recorded, so the next run sends nothing', async () => {
    madapi.nextPostStatus = 409;
    expect((await subscribe()).code).toBe(0);
    await subscribe();
    expect(madapi.requests).toHaveLength(1);
  });

  it('a refusal exits 1 with MADAPI\'s code and message, records nothing, and never prints the key', async () => {
    process.env.MADAPI_API_KEY = 'wrong-key';
    const refused = await subscribe();
    expect(refused.code).toBe(1);
    expect(refused.output).toBe('MADAPI refused to subscribe: HTTP 401 4010 Invalid access token');
    expect(refused.output).not.toContain('wrong-key');
    expect(() => readFileSync(ledger)).toThrow();
  });

  it.each([
    [['--service-code', '123', '--callback-url', 'https://x.bj/u'], /--service-code/],
    [['--service-code', '*123#', '--callback-url', 'ftp://x'], /--callback-url/],
  ])('wrong usage %j exits 2', async (args, message) => {
    const lines: string[] = [];
    expect(await main(['madapi', 'subscribe', ...args, '--ledger', ledger], (l) => lines.push(l))).toBe(2);
    expect(lines.join('\n')).toMatch(message);
    expect(madapi.requests).toHaveLength(0);
  });

  it('without MADAPI_API_KEY it says so and sends nothing', async () => {
    delete process.env.MADAPI_API_KEY;
    const result = await subscribe();
    expect(result.code).toBe(2);
    expect(result.output).toMatch(/MADAPI_API_KEY/);
    expect(madapi.requests).toHaveLength(0);
  });
});
