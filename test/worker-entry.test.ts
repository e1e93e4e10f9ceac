import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/config.js';
import { environmentOf, workerRefusals } from '../src/runtime/worker/gateway.js';

/**
 * The Worker's start-up checks, run in Node (the workerd run is test/worker.workerd.test.ts): what a
 * Worker cannot do is refused with the reason, on every request, and logged once.
 */
const SMPP_USSD = { SMPP_USSD_MOOV_URL: 'smpp://127.0.0.1:2775', SMPP_USSD_MOOV_SYSTEM_ID: 'guichet', SMPP_USSD_MOOV_PASSWORD: 'secret' };
const SMPP_SMS = { SMPP_SMS_MOOV_URL: 'smpp://127.0.0.1:2776', SMPP_SMS_MOOV_SYSTEM_ID: 'guichet', SMPP_SMS_MOOV_PASSWORD: 'secret', SMS_ROUTES: 'MOOV=smpp-moov,default=sandbox' };

describe('workerRefusals', () => {
  it.each([
    ['nothing Node-only', {}, []],
    ['USSD over SMPP', SMPP_USSD, [/^SMPP cannot run on Cloudflare Workers: USSD over SMPP \(smpp-moov\)/]],
    ['an SMS route over SMPP', SMPP_SMS, [/^SMPP cannot run on Cloudflare Workers: the SMS route\(s\) smpp-moov/]],
    ['a client certificate file', { XROAD_TLS_CERT: '/etc/guichet/client.pem', XROAD_TLS_KEY: '/etc/guichet/client.key' }, [/XROAD_TLS_CERT and XROAD_TLS_KEY are files .* XROAD_MTLS/]],
    ['a private CA file', { XROAD_TLS_CA: '/etc/guichet/ca.pem' }, [/XROAD_TLS_CA cannot be honoured on Cloudflare Workers/]],
  ] as const)('%s', (_what, env, expected) => {
    const refusals = workerRefusals(loadConfig(env));
    expect(refusals).toHaveLength(expected.length);
    expected.forEach((pattern, i) => expect(refusals[i]).toMatch(pattern));
  });

  it('reads only the string bindings as variables (Durable Object namespaces and the mTLS binding are not)', () => {
    expect(environmentOf({ PORTAL: 'demo', SESSIONS: { idFromName() {} }, XROAD_MTLS: { fetch() {} }, COUNT: 3 })).toEqual({ PORTAL: 'demo' });
  });
});

describe('the Worker entry with SMPP configured', () => {
  afterEach(() => vi.restoreAllMocks());

  it('answers every request 503 saying SMPP cannot run there, and logs it once', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { default: worker } = await import('../src/runtime/worker/main.js');
    const env = { ...SMPP_USSD, SESSIONS: {}, PAYMENTS: {}, SMS_MESSAGES: {}, INDEXES: {} } as unknown as Parameters<typeof worker.fetch>[1];
    const hop = () => worker.fetch(new Request('http://worker.test/ussd/africastalking', { method: 'POST', body: 'sessionId=a&serviceCode=*123%23&phoneNumber=%2B2290197000001&text=' }), env);
    for (const res of [await hop(), await hop()]) {
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: string; reason: string };
      expect(body.error).toBe('unavailable');
      expect(body.reason).toMatch(/SMPP cannot run on Cloudflare Workers: USSD over SMPP \(smpp-moov\)/);
      expect(body.reason).not.toContain('secret');
    }
    expect(logged).toHaveBeenCalledTimes(1);
    expect(String(logged.mock.calls[0]?.[0])).toContain('SMPP cannot run on Cloudflare Workers');
  });
});
