import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import type { Logger } from '../src/observability/logger.js';
import { createNodeGateway } from '../src/runtime/node/gateway.js';
import { until } from '../testkit/until.js';

/**
 * The embedded default, as `npm start` builds it (memory stores, demo agents, sandbox SMS): a person
 * trying *123*7# in the web simulator reads the enrolment code beside the phone, since the sandbox
 * route sends nothing, and finishes the enrolment with the random code it shows.
 */
const lines: string[] = [];
const recording: Logger = (() => {
  const log = (fields: Record<string, unknown>, message: string) => void lines.push(`${message} ${JSON.stringify(fields)}`);
  return { debug: log, info: log, warn: log, error: log };
})();

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function embedded(env: Record<string, string> = {}) {
  const gateway = await createNodeGateway(loadConfig({ MENUS_WATCH: '0', LOG_LEVEL: 'silent', ...env }), recording);
  close = () => gateway.close();
  return gateway;
}

describe('career enrolment on the embedded default', () => {
  it('the simulator shows the sandbox SMS with the code; typed back, it enrols', async () => {
    const { app } = await embedded();
    const phone = '+2290197000001';
    const inputs: string[] = [];
    const hop = async (input?: string) => {
      if (input !== undefined) inputs.push(input);
      const res = await app.request('/ussd/africastalking', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ sessionId: 'sim-career-1', serviceCode: '*123*7#', phoneNumber: phone, text: inputs.join('*') }).toString(),
      });
      return res.text();
    };
    const inbox = async () => (await (await app.request(`/simulator/sms?phone=${encodeURIComponent(phone)}`)).json()) as { messages: { text: string; at: string }[] };
    expect((await inbox()).messages).toEqual([]);
    await hop();
    await hop('1');
    await hop('1042173');
    expect(await hop('01101998')).toMatch(/^CON Un code à 6 chiffres a été envoyé par SMS/);
    await until(async () => (await inbox()).messages.length === 1, 'the code in the sandbox inbox');
    const [message] = (await inbox()).messages;
    const code = /est (\d{6})\./.exec(message!.text)?.[1];
    expect(code, message!.text).toMatch(/^\d{6}$/);
    // Only that number's messages: another number's inbox is empty.
    expect((await (await app.request('/simulator/sms?phone=%2B2290166000002')).json()) as unknown).toEqual({ messages: [] });
    expect(await hop(code!)).toMatch(/^CON Ce numéro est inscrit/);
    // The sandbox logged that a message left, never its text.
    expect(lines.some((line) => line.startsWith('SMS (sandbox route: not sent)'))).toBe(true);
    expect(lines.join('\n')).not.toContain(code!);
  });

  it('a phone that is not a Benin number is a 400 with a reason', async () => {
    const { app } = await embedded();
    const res = await app.request('/simulator/sms?phone=hello');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'bad_request' });
  });

  it('with the simulator off, no inbox is kept and the route is not served', async () => {
    const { app } = await embedded({ SIMULATOR: '0' });
    expect((await app.request('/simulator/sms?phone=%2B2290197000001')).status).toBe(404);
  });
});
