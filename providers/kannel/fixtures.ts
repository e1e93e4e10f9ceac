/**
 * Kannel wire samples. Source: Debian's kannel 1.4.5-12 (bearerbox + smsbox, fakesmsc from
 * kannel-extras) run on loopback with the README's configuration (`mo-recode = false`), requests
 * captured as smsbox sent them; answer texts also read in Kannel's gw/smsbox.c (mirror
 * pruiz/kannel, gw/smsbox.c lines 205-230 and 2470-2560) and the user guide
 * (doc/userguide/userguide.xml: "Kannel POST", `%c`/`%C` escape codes). The ids are smsbox's own
 * UUIDs from the capture. Used by test/sms-wire.test.ts.
 */

export interface KannelInboundSample {
  name: string;
  method: 'GET' | 'POST';
  /** Path and query exactly as smsbox requested them (our template's parameter names). */
  path: string;
  headers: Record<string, string>;
  bodyHex: string;
  /** What the citizen typed. */
  text: string;
}

export const KANNEL_INBOUND: readonly KannelInboundSample[] = [
  {
    name: 'get-url, UCS-2 kept as UTF-16BE (mo-recode = false)',
    method: 'GET',
    path: '/sms/kannel/inbound?from=2290197000001&to=123&text=%00S%00T%00A%00T%00U%00T%00+%00%E9+%AC%00+%00%E7%00a%00+%00+%00o%00k&id=081d97aa-c238-4fc6-8ff6-57afc136030a&coding=2&charset=UTF-16BE',
    headers: { 'user-agent': 'Kannel/1.4.5' },
    bodyHex: '',
    text: 'STATUT é€ ça  ok',
  },
  {
    name: 'get-url, GSM text (coding 0, UTF-8)',
    method: 'GET',
    path: '/sms/kannel/inbound?from=2290197000001&to=123&text=STATUT+PS00373-240001&id=8b84f262-8799-41f2-aca0-a1a24a39b080&coding=0&charset=UTF-8',
    headers: { 'user-agent': 'Kannel/1.4.5' },
    bodyHex: '',
    text: 'STATUT PS00373-240001',
  },
  {
    name: 'post-url, UCS-2 body with charset="UTF-16BE"',
    method: 'POST',
    path: '/sms/kannel/inbound?from=2290197000001&to=123&id=3f310ae9-1e62-4c27-9933-21884c6a5d84&coding=2&charset=UTF-16BE',
    headers: {
      'user-agent': 'Kannel/1.4.5',
      'content-type': 'text/plain; charset="UTF-16BE"',
      'x-kannel-from': '2290197000001',
      'x-kannel-to': '123',
      'x-kannel-time': '2026-12-02 04:02:22',
      'x-kannel-smsc': 'fake',
      'x-kannel-coding': '2',
      'x-kannel-service': '^[ ]*(post)[ ]*',
    },
    bodyHex: '0070006f00730074002000410072007200ea0074002000e7',
    text: 'post Arrêt ç',
  },
  {
    name: 'post-url, GSM body, sender only in X-Kannel-From (send-sender = true; query without from: inferred from the capture)',
    method: 'POST',
    path: '/sms/kannel/inbound?id=32e7d3c2-148d-44e1-8238-2b2e29d2d958',
    headers: {
      'user-agent': 'Kannel/1.4.5',
      'content-type': 'text/plain; charset="UTF-8"',
      'x-kannel-from': '2290197000001',
      'x-kannel-to': '123',
      'x-kannel-time': '2026-12-02 04:02:28',
      'x-kannel-smsc': 'fake',
      'x-kannel-coding': '0',
      'x-kannel-service': '^[ ]*(post)[ ]*',
    },
    bodyHex: '706f73742048656c6c6f20c3a9',
    text: 'post Hello é',
  },
];

/** sendsms answers: HTTP status and body, and what Guichet makes of them. */
export const KANNEL_SENDSMS_ANSWERS: readonly { status: number; body: string; outcome: 'accepted' | 'permanent' | 'throttled' | 'configuration' | 'transient'; source: string }[] = [
  { status: 202, body: '0: Accepted for delivery', outcome: 'accepted', source: 'captured (smsbox with fakesmsc connected)' },
  { status: 202, body: '3: Queued for later delivery', outcome: 'accepted', source: 'captured (no SMSC connected)' },
  { status: 403, body: 'Authorization failed for sendsms', outcome: 'configuration', source: 'captured (wrong password)' },
  { status: 400, body: 'Missing receiver number, rejected', outcome: 'permanent', source: 'captured (no to=)' },
  { status: 400, body: 'Coding field misformed, rejected', outcome: 'permanent', source: 'captured (coding=9)' },
  { status: 403, body: 'Not routable. Do not try again.', outcome: 'permanent', source: 'gw/smsbox.c line 218' },
  { status: 503, body: 'Temporal failure, try again later.', outcome: 'throttled', source: 'gw/smsbox.c line 222' },
  { status: 400, body: 'Sender missing and no global set, rejected', outcome: 'configuration', source: 'gw/smsbox.c line 2115' },
  { status: 500, body: 'Internal Server Error', outcome: 'transient', source: 'inferred (a proxy in front of smsbox): unmapped' },
];
