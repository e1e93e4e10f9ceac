import type { AfricasTalkingAccount, AfricasTalkingSend, AfricasTalkingSendResult } from '../../../providers/africastalking/sms.js';

/**
 * The one call of Africa's Talking's SDK the SMS route makes (`SMS.send`), over `fetch`: the SDK
 * is axios on Node's http and does not load on Workers. Same request as the SDK's
 * (`POST /version1/messaging`, form `username, to, message, from, enqueue`, header `apiKey`; see
 * /work/shared/reference/protocols.md, "Africa's Talking SMS"), and the same failure shape: an
 * answer outside 2xx rejects with `{ response: { status } }` as axios does, so the route's reading
 * of errors (`providers/africastalking/sms.ts`) is the same on both runtimes.
 */
export function fetchAfricasTalkingSend(account: AfricasTalkingAccount, fetchImpl: typeof fetch = fetch): AfricasTalkingSend {
  // As the SDK: the username `sandbox` is Africa's Talking's sandbox, any other the live API.
  const base = account.username === 'sandbox' ? 'https://api.sandbox.africastalking.com' : 'https://api.africastalking.com';
  return async (options) => {
    const form = new URLSearchParams({ username: account.username, to: options.to.join(','), message: options.message });
    if (options.from) form.set('from', options.from);
    if (options.enqueue) form.set('enqueue', '1');
    const res = await fetchImpl(`${base}/version1/messaging`, {
      method: 'POST',
      headers: { apiKey: account.apiKey, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    if (!res.ok) throw Object.assign(new Error(`Request failed with status code ${res.status}`), { response: { status: res.status } });
    return (await res.json()) as AfricasTalkingSendResult;
  };
}
