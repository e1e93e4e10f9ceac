import { describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';

/** The variables the payment APIs these tests route to read (each provider's own schema checks them at start). */
const PAYMENT_APIS_ENV = {
  MOMO_BASE_URL: 'https://sandbox.momodeveloper.mtn.com',
  MOMO_API_USER: 'api-user',
  MOMO_API_KEY: 'api-key',
  MOMO_SUBSCRIPTION_KEY: 'sub-key',
  MOOV_BASE_URL: 'https://moov.example.bj/soap',
  MOOV_USERNAME: 'merchant',
  MOOV_PASSWORD: 'pw',
  MOOV_ENCRYPTION_KEY: '0123456789abcdef',
  FEDAPAY_SECRET_KEY: 'sk_sandbox_x',
  FEDAPAY_WEBHOOK_SECRET: 'wh_sandbox_x',
};

describe('configuration from the environment', () => {
  it('has working defaults: the embedded gateway on 127.0.0.1:8080', () => {
    expect(loadConfig({})).toMatchObject({ host: '127.0.0.1', port: 8080, redisUrl: undefined, sessionTtlSeconds: 180, serviceDeadlineMs: 2000, providerSettings: {} });
  });

  it('reads per-provider settings', () => {
    const config = loadConfig({
      SCREEN_LIMITS: 'mtn-madapi=182,hubtel=160',
      USSD_HUBTEL_SECRET: 'from-the-vault',
      USSD_HUBTEL_SECRET_HEADER: 'X-Hubtel-Key',
      USSD_MTN_MADAPI_ALLOW_IPS: '10.0.0.1, 10.0.0.2',
      USSD_MTN_MADAPI_SERVICE_CODES: '*123#,*123*2#',
      USSD_NALO_SCREEN_LIMIT: '140',
    });
    expect(config.providerSettings).toEqual({
      'mtn-madapi': { screenLimit: 182, allowedIps: ['10.0.0.1', '10.0.0.2'], serviceCodes: ['*123#', '*123*2#'] },
      hubtel: { screenLimit: 160, secret: 'from-the-vault', secretHeader: 'x-hubtel-key' },
      nalo: { screenLimit: 140 },
    });
  });

  it('routes payments per operator, refusing operators Benin does not have', () => {
    expect(loadConfig({ ...PAYMENT_APIS_ENV, PAYMENT_PROVIDER: 'fedapay', PAYMENT_ROUTES: 'MTN=mtn-momo,MOOV=moov-money' })).toMatchObject({
      paymentProvider: 'fedapay',
      paymentRoutes: { MTN: 'mtn-momo', MOOV: 'moov-money' },
      paymentJobConcurrency: 32,
      paymentHintConcurrency: 64,
    });
    expect(() => loadConfig({ PAYMENT_ROUTES: 'ORANGE=mtn-momo' })).toThrow(/PAYMENT_ROUTES operator "ORANGE"/);
    expect(() => loadConfig({ PAYMENT_ROUTES: 'MTN' })).toThrow(/PAYMENT_ROUTES entry "MTN"/);
  });

  // Issue 10 item 16 / issue 11 item 2: each entry splits at its first separator only, so base64 keys keep
  // their `=` padding and any `:`; an empty key or secret stops start-up instead of letting anyone in.
  it.each([
    ['REPORT_API_KEYS', 'finance:dGVzdA==', (c: Config) => c.reportApiKeys, { finance: 'dGVzdA==' }],
    ['REPORT_API_KEYS', 'finance:a:b=c, audit:x', (c: Config) => c.reportApiKeys, { finance: 'a:b=c', audit: 'x' }],
    ['NOTIFY_API_KEYS', 'portail:k3y==,anip:abc:def', (c: Config) => c.sms.agencies, { portail: { apiKey: 'k3y==' }, anip: { apiKey: 'abc:def' } }],
    ['NOTIFY_HMAC_SECRETS', 'portail:c2VjcmV0Cg==', (c: Config) => c.sms.agencies, { portail: { hmacSecret: 'c2VjcmV0Cg==' } }],
    ['PAYMENT_ROUTES', 'MTN=mtn-momo, MOOV=fedapay', (c: Config) => c.paymentRoutes, { MTN: 'mtn-momo', MOOV: 'fedapay' }],
    ['SCREEN_LIMITS', 'hubtel=150', (c: Config) => c.providerSettings, { hubtel: { screenLimit: 150 } }],
  ])('keeps every character of %s=%s', (variable, value, read, expected) => {
    expect({ ...read(loadConfig({ ...PAYMENT_APIS_ENV, [variable]: value })) }).toEqual(expected);
  });

  it('reads each routed payment API with its own schema at start, naming every missing variable', () => {
    expect(loadConfig({ ...PAYMENT_APIS_ENV, PAYMENT_ROUTES: 'MTN=mtn-momo,MOOV=fedapay' }).paymentApis.map((api) => api.name)).toEqual(['sandbox', 'mtn-momo', 'fedapay']);
    let message = '';
    try {
      loadConfig({ PAYMENT_PROVIDER: 'fedapay', PAYMENT_ROUTES: 'MTN=mtn-momo', PORT: 'eighty' });
    } catch (error) {
      message = String(error);
    }
    for (const variable of ['PORT', 'FEDAPAY_SECRET_KEY', 'FEDAPAY_WEBHOOK_SECRET', 'MOMO_BASE_URL', 'MOMO_API_USER']) expect(message, variable).toContain(`invalid configuration: ${variable}`);
    expect(message).not.toContain('MOOV_');
  });

  it.each([
    ['REPORT_API_KEYS', 'finance:', undefined],
    ['REPORT_API_KEYS', ':s3cr3t-value', 's3cr3t-value'],
    ['REPORT_API_KEYS', 'finance', undefined],
    ['REPORT_API_KEYS', 'finance=k3y-value', 'k3y-value'],
    ['REPORT_API_KEYS', 'finance:first-k3y,finance:second-k3y', 'k3y'],
    ['NOTIFY_API_KEYS', 'portail: ', undefined],
    ['NOTIFY_HMAC_SECRETS', 'portail:', undefined],
    ['PAYMENT_ROUTES', 'MTN=', undefined],
    ['USSD_HUBTEL_SECRET', '', undefined],
    ['USSD_HUBTEL_SECRET', '  ', undefined],
  ])('stops start-up on %s=%j, naming the variable and never echoing a secret', (variable, value, secret) => {
    let message = '';
    try {
      loadConfig({ [variable]: value });
    } catch (error) {
      message = String(error);
    }
    expect(message).toContain(`invalid configuration: ${variable}`);
    if (secret) expect(message).not.toContain(secret);
  });

  it('reads SMPP USSD links per operator', () => {
    expect(
      loadConfig({ SMPP_USSD_MTN_URL: 'smpp://10.0.0.5:2775', SMPP_USSD_MTN_SYSTEM_ID: 'guichet', SMPP_USSD_MTN_PASSWORD: 'pw', SMPP_USSD_MTN_TPS: '30', SMPP_USSD_MTN_SCREEN_LIMIT: '182' }).smppUssdLinks,
    ).toEqual([{ provider: 'smpp-mtn', url: 'smpp://10.0.0.5:2775', systemId: 'guichet', password: 'pw', submitsPerSecond: 30, screenLimit: 182, from: 'ServPublic' }]);
  });

  it('reads USSD push routes: SMPP USSD links and MADAPI, each only when configured', () => {
    const links = { SMPP_USSD_MOOV_URL: 'smpp://10.0.0.5:2775', SMPP_USSD_MOOV_SYSTEM_ID: 'guichet', SMPP_USSD_MOOV_PASSWORD: 'pw' };
    const config = loadConfig({ ...links, MADAPI_API_KEY: 'madapi-key', USSD_PUSH_ROUTES: 'MOOV=smpp-moov,MTN=mtn-madapi', USSD_PUSH_RATES: 'smpp-moov=20', USSD_PUSH_CONFIRM_TIMEOUT_MS: '15000' });
    expect(config.ussdPush).toMatchObject({ routing: { MOOV: 'smpp-moov', MTN: 'mtn-madapi' }, rates: { 'smpp-moov': 20 }, confirmTimeoutMs: 15000, from: '123', onSmppLinks: true });
    expect(config.ussdPush.routes.map((r) => [r.route, r.create().name])).toEqual([['mtn-madapi', 'mtn-madapi']]);
    expect(loadConfig({}).ussdPush).toMatchObject({ routing: {}, routes: [] });
  });

  it.each([
    ['a route nobody configured', { USSD_PUSH_ROUTES: 'MTN=mtn-madapi' }, /USSD_PUSH_ROUTES sends MTN to "mtn-madapi", which is not a configured push route \(none: set SMPP_USSD_<OP>_URL or MADAPI_API_KEY\)/],
    ['an operator Benin does not have', { MADAPI_API_KEY: 'k', USSD_PUSH_ROUTES: 'ORANGE=mtn-madapi' }, /USSD_PUSH_ROUTES operator "ORANGE"/],
    ['a rate for an unknown route', { MADAPI_API_KEY: 'k', USSD_PUSH_RATES: 'smpp-mtn=5' }, /USSD_PUSH_RATES names "smpp-mtn"/],
    ['a bad MADAPI URL', { MADAPI_API_KEY: 'k', MADAPI_BASE_URL: 'ftp:/x' }, /MADAPI_BASE_URL: want an http\(s\) URL/],
    ['a confirm time-out out of range', { USSD_PUSH_CONFIRM_TIMEOUT_MS: '10' }, /USSD_PUSH_CONFIRM_TIMEOUT_MS/],
  ])('refuses USSD push settings with %s', (_name, env, reason) => {
    expect(() => loadConfig(env)).toThrow(reason);
  });

  it('reads the interoperability settings', () => {
    const config = loadConfig({ PORTAL: 'xroad', XROAD_SECURITY_SERVER_URL: 'https://ss.example.bj', XROAD_DIALECT: 'uxp', XROAD_SERVICE_TIMEOUTS: 'requestStatus=1500, verifyHolder=3000' });
    expect(config.portal).toBe('xroad');
    expect(config.xroad).toMatchObject({ securityServerUrl: 'https://ss.example.bj', dialect: 'uxp', client: 'BJ/GOV/GUICHET/ussd', serviceTimeoutsMs: { requestStatus: 1500, verifyHolder: 3000 } });
  });

  it.each([
    [{ PORTAL: 'xroad' }, /PORTAL=xroad needs XROAD_SECURITY_SERVER_URL/],
    [{ XROAD_SERVICE_TIMEOUTS: 'requestStatus=5' }, /XROAD_SERVICE_TIMEOUTS entry "requestStatus=5"/],
    [{ SMPP_USSD_MTN_URL: 'smpp://h:1' }, /SMPP_USSD_MTN_SYSTEM_ID and SMPP_USSD_MTN_PASSWORD are required/],
    [{ SMPP_USSD_MTN_URL: 'http://h:1', SMPP_USSD_MTN_SYSTEM_ID: 'a', SMPP_USSD_MTN_PASSWORD: 'b' }, /SMPP_USSD_MTN_URL/],
    [{ PORT: 'eighty' }, /PORT/],
    [{ REDIS_URL: 'not a url' }, /REDIS_URL/],
    [{ SCREEN_LIMITS: 'hubtel=500' }, /SCREEN_LIMITS entry "hubtel=500"/],
    [{ USSD_HUBTEL_SCREEN_LIMIT: '10' }, /USSD_HUBTEL_SCREEN_LIMIT/],
    [{ SESSION_TTL_SECONDS: '5' }, /SESSION_TTL_SECONDS/],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  // Issue 14 item 2: a person fixing a deployment sees every problem at once, one per line.
  it('reports every problem of a configuration at once', () => {
    let message = '';
    try {
      loadConfig({ PORTAL: 'xroad', PAYMENT_ROUTES: 'ORANGE=x', REPORT_API_KEYS: 'finance:', TRUST_PROXY: 'yes', SMS_ROUTES: 'MTN=kannel' });
    } catch (error) {
      message = String(error);
    }
    const lines = message.split('\n');
    for (const variable of ['PORTAL=xroad', 'PAYMENT_ROUTES', 'REPORT_API_KEYS', 'TRUST_PROXY', 'SMS_ROUTES']) expect(lines.some((l) => l.includes(variable)), variable).toBe(true);
    expect(lines.length).toBeGreaterThanOrEqual(5);
  });
});

describe('where Redis is: one URL, a cluster, or Sentinel (issue 15)', () => {
  it.each<[string, Record<string, string>, unknown]>([
    ['none', {}, undefined],
    ['a URL', { REDIS_URL: 'redis://127.0.0.1:6379/2' }, { kind: 'url', url: 'redis://127.0.0.1:6379/2' }],
    ['cluster seed nodes', { REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-2.internal:7001,[::1]:7002' }, { kind: 'cluster', nodes: [{ host: '10.0.0.1', port: 7000 }, { host: 'redis-2.internal', port: 7001 }, { host: '::1', port: 7002 }] }],
    ['sentinels and the master name', { REDIS_SENTINELS: '10.0.0.1:26379,10.0.0.2:26379', REDIS_SENTINEL_NAME: 'guichet' }, { kind: 'sentinel', sentinels: [{ host: '10.0.0.1', port: 26379 }, { host: '10.0.0.2', port: 26379 }], name: 'guichet' }],
  ])('%s', (_, env, redis) => {
    expect(loadConfig(env).redis).toEqual(redis);
  });

  it.each<[Record<string, string>, RegExp]>([
    [{ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: '127.0.0.1:7000' }, /REDIS_URL and REDIS_CLUSTER_NODES are both set/],
    [{ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_SENTINELS: '127.0.0.1:26379', REDIS_SENTINEL_NAME: 'g' }, /REDIS_URL and REDIS_SENTINELS are both set/],
    [{ REDIS_CLUSTER_NODES: '127.0.0.1:7000', REDIS_SENTINELS: '127.0.0.1:26379', REDIS_SENTINEL_NAME: 'g' }, /REDIS_CLUSTER_NODES and REDIS_SENTINELS are both set/],
    [{ REDIS_SENTINELS: '127.0.0.1:26379' }, /REDIS_SENTINELS needs REDIS_SENTINEL_NAME/],
    [{ REDIS_SENTINEL_NAME: 'guichet' }, /REDIS_SENTINEL_NAME is set without REDIS_SENTINELS/],
    [{ REDIS_CLUSTER_NODES: '127.0.0.1' }, /REDIS_CLUSTER_NODES: "127.0.0.1" is not host:port/],
    [{ REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1:99999' }, /"127.0.0.1:99999" is not host:port/],
    [{ REDIS_CLUSTER_NODES: '' }, /REDIS_CLUSTER_NODES/],
  ])('refuses %j', (env, reason) => {
    expect(() => loadConfig(env)).toThrow(reason);
  });
});
