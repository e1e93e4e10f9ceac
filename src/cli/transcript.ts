import { z } from 'zod';
import type { Hono } from 'hono';

const Hops = z.array(z.strictObject({ send: z.string().optional(), expect: z.string() })).min(1);
const Dial = z.string().regex(/^\*[\d*]+#$/);

/**
 * A later session of the same walk (a redial): how the one before it ended, how long the citizen
 * waited, and what this one shows. Resuming a dropped session (README "Resuming a dropped
 * session") is proven this way.
 */
const LaterSession = z.strictObject({
  /**
   * The session-end callback Africa's Talking sent for the session before (its `status`:
   * `Incomplete` when the citizen hung up or let it time out, `Success`, `Failed`); absent:
   * nothing was reported (a silent drop, found by its time-out).
   */
  ended: z.enum(['Success', 'Incomplete', 'Failed']).optional(),
  /** Seconds that pass before this dial (the gateway's clock moves; sessions and windows expire). */
  wait: z.number().int().min(0).max(86_400).optional(),
  /** Another phone or code than the transcript's. */
  phone: z.string().min(8).optional(),
  dial: Dial.optional(),
  hops: Hops,
});

/**
 * A recorded walk: what was dialled from which phone, then each input and the screen expected
 * back (with its `CON`/`END` prefix). Saved by the web simulator, replayed by `guichet menus test`.
 * `then` adds redials after it, each a session of its own.
 */
export const Transcript = z.strictObject({
  name: z.string().min(1),
  /**
   * The gateway's clock at the first hop (`2026-12-07T10:00:00+01:00`), for walks whose screens
   * depend on the date (appointment days); absent: the real time.
   */
  at: z.iso.datetime({ offset: true }).optional(),
  dial: Dial,
  phone: z.string().min(8),
  hops: Hops,
  then: z.array(LaterSession).optional(),
});
export type Transcript = z.infer<typeof Transcript>;

export interface ReplayResult {
  name: string;
  ok: boolean;
  /** The first hop that differed, 1-based over every session of the walk, with both screens. */
  mismatch?: { hop: number; expected: string; actual: string };
}

/** Moves the gateway's clock on (`createNodeGateway`'s `now`); without it a transcript that waits cannot be replayed. */
export type AdvanceClock = (ms: number) => void;

/** Replays a transcript through the gateway's Africa's Talking route, as the aggregator would. */
export async function replayTranscript(app: Hono, transcript: Transcript, sessionId: string, advanceClock?: AdvanceClock): Promise<ReplayResult> {
  const sessions = [{ phone: transcript.phone, dial: transcript.dial, hops: transcript.hops }, ...(transcript.then ?? [])];
  let hopNumber = 0;
  for (const [index, session] of sessions.entries()) {
    const id = index === 0 ? sessionId : `${sessionId}-${index + 1}`;
    const phone = session.phone ?? transcript.phone;
    const dial = session.dial ?? transcript.dial;
    if (index > 0) {
      const later = session as z.infer<typeof LaterSession>;
      const before = sessions[index - 1]!;
      const previousId = index === 1 ? sessionId : `${sessionId}-${index}`;
      if (later.ended) {
        await app.request('/ussd/africastalking/session-end', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ sessionId: previousId, serviceCode: before.dial ?? transcript.dial, phoneNumber: before.phone ?? transcript.phone, status: later.ended }).toString(),
        });
      }
      if (later.wait) {
        if (!advanceClock) throw new Error(`${transcript.name}: waits, but the gateway's clock cannot be moved`);
        advanceClock(later.wait * 1000);
      }
    }
    const inputs: string[] = [];
    for (const [i, hop] of session.hops.entries()) {
      hopNumber++;
      if (i > 0 && hop.send === undefined) throw new Error(`${transcript.name}: hop ${hopNumber} has no "send"`);
      if (hop.send !== undefined) inputs.push(hop.send);
      const res = await app.request('/ussd/africastalking', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ sessionId: id, serviceCode: dial, phoneNumber: phone, text: inputs.join('*') }).toString(),
      });
      const actual = await res.text();
      if (actual !== hop.expect.replace(/\n$/, '')) return { name: transcript.name, ok: false, mismatch: { hop: hopNumber, expected: hop.expect, actual } };
    }
  }
  return { name: transcript.name, ok: true };
}
