import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paymentProviders } from '../../providers/index.js';
import { createFedapay, DEFAULT_FEDAPAY_MODES } from '../../providers/fedapay/collection.js';
import { createKkiapay } from '../../providers/kkiapay/collection.js';
import { moovAnswer } from '../../providers/moov-money/fixtures.js';
import { createMoovMoney } from '../../providers/moov-money/collection.js';
import { MOMO_TOKEN_ANSWER } from '../../providers/mtn-momo/fixtures.js';
import { createMomoCollection } from '../../providers/mtn-momo/collection.js';
import { createSandboxPaymentProvider } from '../../providers/sandbox-payment/payment.js';
import { AmbiguousCollectionError, type CollectionRequest, type PaymentProvider } from '../../src/payments/payment-provider.js';

/*
 * One contract for every payment provider registered in providers/index.ts (the style of the
 * session and payment store suites). A registered provider without an entry here fails the suite.
 * What a provider cannot be asked (the sandbox has no network) is declared, not skipped silently.
 * Per-provider wire details (samples, forged and replayed callbacks, duplicates) stay in
 * providers/<name>/collection.test.ts; this suite holds the rules every one of them must keep.
 */

/** Client deadline in this suite: the hanging server never answers at all. */
const DEADLINE_MS = 200;

interface ConformanceEntry {
  /** False for providers that make no network calls (declared: the deadline cases do not apply). */
  network: boolean;
  /** The provider pointed at `baseUrl`, or answering every call with `fetch`. */
  make(options: { baseUrl: string; fetch?: typeof fetch }): PaymentProvider;
  /** A status answer with a status the provider's table does not know, as its wire carries it. */
  unknownStatus?: (url: string) => Response;
}

const ENTRIES: Readonly<Record<string, ConformanceEntry>> = {
  sandbox: {
    network: false,
    make: () => createSandboxPaymentProvider({ approveAfterMs: 60_000 }),
  },
  'mtn-momo': {
    network: true,
    make: ({ baseUrl, fetch }) =>
      createMomoCollection({ baseUrl, apiUser: 'u', apiKey: 'k', subscriptionKey: 's', targetEnvironment: 'sandbox', timeoutMs: DEADLINE_MS, ...(fetch ? { fetch } : {}) }),
    unknownStatus: (url) =>
      url.endsWith('/collection/token/') ? Response.json(MOMO_TOKEN_ANSWER.body) : Response.json({ status: 'ONGOING', amount: '1900', currency: 'XOF' }),
  },
  'moov-money': {
    network: true,
    make: ({ baseUrl, fetch }) =>
      createMoovMoney({ baseUrl, username: 'u', password: 'p', encryptionKey: 'tlc12345tlc12345tlc12345tlc12345', timeoutMs: DEADLINE_MS, ...(fetch ? { fetch } : {}) }),
    unknownStatus: () => new Response(moovAnswer('getTransactionStatus', { description: 'NEW', referenceid: 'ref-1', status: '777' }), { headers: { 'content-type': 'text/xml' } }),
  },
  fedapay: {
    network: true,
    make: ({ baseUrl, fetch }) =>
      createFedapay({ baseUrl, secretKey: 'sk', webhookSecret: 'wh', modes: DEFAULT_FEDAPAY_MODES, timeoutMs: DEADLINE_MS, ...(fetch ? { fetch } : {}) }),
    unknownStatus: () => Response.json({ 'v1/transaction': { id: 1, reference: 'trx_1', status: 'on_hold', amount: 1900 } }),
  },
  kkiapay: {
    network: true,
    make: ({ baseUrl, fetch }) =>
      createKkiapay({ baseUrl, publicKey: 'pk', privateKey: 'pr', secret: 'sk', webhookSecret: 'wh', timeoutMs: DEADLINE_MS, ...(fetch ? { fetch } : {}) }),
    unknownStatus: () => Response.json({ transactionId: 'ref-1', status: 'REVERSED', amount: 1900 }),
  },
};

const request = (): CollectionRequest => ({
  paymentId: crypto.randomUUID(), amountXof: 1900, payerMsisdn: '+2290197000001', operator: 'MTN', description: 'Frais PS00373-240002',
  rememberReference: async (reference) => reference,
});

/** A TCP server that accepts connections and never answers: a provider that hangs. */
let hanging: Server;
const sockets = new Set<Socket>();
let hangingUrl = '';
beforeAll(async () => {
  hanging = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => hanging.close(() => resolve()));
});

describe('payment provider conformance: the registry', () => {
  it('every provider registered in providers/index.ts has a conformance entry, and no entry is stale', () => {
    expect(Object.keys(ENTRIES).sort()).toEqual(Object.keys(paymentProviders).sort());
  });
});

for (const [name, entry] of Object.entries(ENTRIES)) {
  describe(`payment provider conformance: ${name}`, () => {
    it('is named as registered', () => {
      expect(entry.make({ baseUrl: hangingUrl }).name).toBe(name);
    });

    it('a payment it never heard of is never a success', async () => {
      const status = await entry.make({ baseUrl: 'http://127.0.0.1:9' }).checkStatus({ paymentId: crypto.randomUUID() }).catch(() => null);
      expect(status?.status).not.toBe('succeeded');
    });

    if (!entry.network) {
      it.skip('declares no network calls: the deadline and wire cases do not apply', () => {});
      return;
    }

    it('the collection request against a hanging API ends at its deadline, and a provider without idempotency calls it ambiguous', async () => {
      const provider = entry.make({ baseUrl: hangingUrl });
      const error = await provider.requestCollection(request()).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      // Not resend-safe: it may have arrived, so it must never be sent again.
      if (!provider.resendSafe) expect(error).toBeInstanceOf(AmbiguousCollectionError);
    });

    it('the status question against a hanging API ends at its deadline with an error, not a verdict', async () => {
      const provider = entry.make({ baseUrl: hangingUrl });
      await expect(provider.checkStatus({ paymentId: crypto.randomUUID(), providerReference: 'ref-1' })).rejects.toThrow();
    });

    it('a status it does not know is never final', async () => {
      const answer = entry.unknownStatus;
      if (!answer) throw new Error(`${name}: a network provider needs an unknownStatus sample`);
      const provider = entry.make({ baseUrl: 'https://provider.example', fetch: async (url) => answer(String(url)) });
      await expect(provider.checkStatus({ paymentId: crypto.randomUUID(), providerReference: 'ref-1' })).rejects.toThrow();
    });
  });
}
