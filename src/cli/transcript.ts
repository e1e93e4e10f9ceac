import { z } from 'zod';
import type { Hono } from 'hono';

/**
 * A recorded walk: what was dialled from which phone, then each input and the screen expected
 * back (with its `CON`/`END` prefix). Saved by the web simulator, replayed by `guichet menus test`.
 */
export const Transcript = z.strictObject({
  name: z.string().min(1),
  dial: z.string().regex(/^\*[\d*]+#$/),
  phone: z.string().min(8),
  hops: z
    .array(z.strictObject({ send: z.string().optional(), expect: z.string() }))
    .min(1),
});
export type Transcript = z.infer<typeof Transcript>;

export interface ReplayResult {
  name: string;
  ok: boolean;
  /** The first hop that differed, 1-based, with both screens. */
  mismatch?: { hop: number; expected: string; actual: string };
}

/** Replays a transcript through the gateway's Africa's Talking route, as the aggregator would. */
export async function replayTranscript(app: Hono, transcript: Transcript, sessionId: string): Promise<ReplayResult> {
  const inputs: string[] = [];
  for (const [i, hop] of transcript.hops.entries()) {
    if (i > 0 && hop.send === undefined) throw new Error(`${transcript.name}: hop ${i + 1} has no "send"`);
    if (hop.send !== undefined) inputs.push(hop.send);
    const res = await app.request('/ussd/africastalking', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ sessionId, serviceCode: transcript.dial, phoneNumber: transcript.phone, text: inputs.join('*') }).toString(),
    });
    const actual = await res.text();
    if (actual !== hop.expect.replace(/\n$/, '')) return { name: transcript.name, ok: false, mismatch: { hop: i + 1, expected: hop.expect, actual } };
  }
  return { name: transcript.name, ok: true };
}
