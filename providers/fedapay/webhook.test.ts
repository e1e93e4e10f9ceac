import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyKkiapaySecret } from '../kkiapay/webhook.js';
import { FEDAPAY_SIGNATURE_VECTOR } from './fixtures.js';
import { verifyFedapaySignature } from './webhook.js';

const secret = 'wh_sandbox_s3cr3t';
const body = '{"name":"transaction.approved","entity":{"id":1234,"reference":"trx_abc","status":"approved","amount":1900}}';
const now = Date.parse('2026-11-23T09:00:00Z');
const t = String(now / 1000);
// Signed independently with node:crypto, as FedaPay documents it.
const sign = (ts: string, raw: string, key = secret) => createHmac('sha256', key).update(`${ts}.${raw}`).digest('hex');

describe('FedaPay webhook signature', () => {
  it.each([
    ['a valid signature', `t=${t},s=${sign(t, body)}`, body, now, 'ok'],
    ['a valid signature 299 s old', `t=${t},s=${sign(t, body)}`, body, now + 299_000, 'ok'],
    ['a replay 301 s old', `t=${t},s=${sign(t, body)}`, body, now + 301_000, 403],
    ['a body changed by one byte', `t=${t},s=${sign(t, body)}`, body.replace('1900', '1901'), now, 403],
    ['another secret', `t=${t},s=${sign(t, body, 'other')}`, body, now, 403],
    ['a timestamp swapped after signing', `t=${Number(t) + 1},s=${sign(t, body)}`, body, now, 403],
    ['no header', undefined, body, now, 401],
    ['garbage', 'nonsense', body, now, 401],
    ['non-hex signature', `t=${t},s=zz`, body, now, 403],
    // Secret rotation (fedapay-php lib/WebhookSignature.php: any matching s= is valid).
    ['the old secret first, the current one second', `t=${t},s=${sign(t, body, 'old')},s=${sign(t, body)}`, body, now, 'ok'],
    ['the current secret first, another second', `t=${t},s=${sign(t, body)},s=${sign(t, body, 'next')}`, body, now, 'ok'],
    ['several signatures, none matching', `t=${t},s=${sign(t, body, 'a')},s=${sign(t, body, 'b')}`, body, now, 403],
    ['a timestamp only', `t=${t}`, body, now, 401],
  ])('%s', async (_name, header, raw, at, expected) => {
    const check = await verifyFedapaySignature(header, raw, secret, at);
    expect(check.ok ? 'ok' : check.httpStatus).toBe(expected);
  });
});

describe('FedaPay webhook signature: the SDKs\' own test vector', () => {
  // The header the SDKs' generateHeader builds (`t=<now>,s=<hmac>`) over their payload and secret.
  const { payload, secret: sdkSecret } = FEDAPAY_SIGNATURE_VECTOR;
  it.each([
    ['as generated', `t=${t},s=${sign(t, payload, sdkSecret)}`, 'ok'],
    ['under another scheme (v0=), as the SDKs\' no-signature test', `t=${t},v0=${sign(t, payload, sdkSecret)}`, 401],
    ['with "bad_signature", as the SDKs\' wrong-signature test', `t=${t},s=bad_signature`, 403],
  ])('%s', async (_name, header, expected) => {
    const check = await verifyFedapaySignature(header, payload, sdkSecret, now);
    expect(check.ok ? 'ok' : check.httpStatus).toBe(expected);
  });
});

describe('KKiaPay webhook secret', () => {
  it.each([
    ['the shared secret', 'kk_secret_123', 'ok'],
    ['a prefix of it', 'kk_secret_12', 403],
    ['a longer string', 'kk_secret_1234', 403],
    ['missing', undefined, 401],
  ])('%s', (_name, header, expected) => {
    const check = verifyKkiapaySecret(header, 'kk_secret_123');
    expect(check.ok ? 'ok' : check.httpStatus).toBe(expected);
  });
});
