import { callDurableObject, type DurableNamespace, type DurableState } from '../../lib/durable-objects.js';
import type { EnrolmentStore, MatriculeHolder, PendingCode } from './port.js';

/**
 * Enrolments on Cloudflare Workers: one Durable Object per number key, holding `enrolled` (the
 * matricule) and `code` (the pending code). The object runs one request at a time and each command
 * awaits only its own storage, so a read, a decision and a write below is atomic, as the Redis
 * scripts are: concurrent tries all count, and a code is completed once. An alarm drops the code
 * when it expires (the enrolment stays). A matricule's holder lives in an object of its own, named
 * after the matricule's keyed hash, with the same one-request-at-a-time atomicity.
 */
type Command =
  | { op: 'enrolled' }
  | { op: 'start'; matricule: string; codeHash: string; ttlMs: number; nowMs: number }
  | { op: 'take'; nowMs: number }
  | { op: 'complete'; codeHash: string; nowMs: number }
  | { op: 'drop' }
  | { op: 'unenrol' }
  | { op: 'unenrolIf'; matricule: string }
  | { op: 'exchangeHolder'; holder: MatriculeHolder }
  | { op: 'releaseHolder'; numberKey: string };

/** The Durable Object class (bound as `CAREER_ENROLMENTS` in wrangler.toml). */
export class CareerEnrolmentObject {
  constructor(private readonly state: DurableState) {}

  async fetch(request: Request): Promise<Response> {
    const command = (await request.json()) as Command;
    const storage = this.state.storage;
    const live = async (nowMs: number) => {
      const code = await storage.get<PendingCode>('code');
      if (code && code.expiresAtMs <= nowMs) {
        await storage.delete('code');
        return undefined;
      }
      return code;
    };
    switch (command.op) {
      case 'enrolled':
        return Response.json((await storage.get<string>('enrolled')) ?? null);
      case 'start': {
        const expiresAtMs = command.nowMs + command.ttlMs;
        await storage.put<PendingCode>('code', { matricule: command.matricule, codeHash: command.codeHash, attempts: 0, expiresAtMs });
        await storage.setAlarm(expiresAtMs);
        return Response.json(null);
      }
      case 'take': {
        const code = await live(command.nowMs);
        if (!code) return Response.json(null);
        const taken = { ...code, attempts: code.attempts + 1 };
        await storage.put<PendingCode>('code', taken);
        return Response.json(taken);
      }
      case 'complete': {
        const code = await live(command.nowMs);
        if (!code || code.codeHash !== command.codeHash) return Response.json(null);
        await storage.put<string>('enrolled', code.matricule);
        await storage.delete('code');
        return Response.json(code.matricule);
      }
      case 'drop':
        await storage.delete('code');
        return Response.json(null);
      case 'unenrol':
        await storage.deleteAll();
        return Response.json(null);
      case 'unenrolIf': {
        if ((await storage.get<string>('enrolled')) !== command.matricule) return Response.json(false);
        await storage.delete('enrolled');
        return Response.json(true);
      }
      case 'exchangeHolder': {
        const previous = (await storage.get<MatriculeHolder>('holder')) ?? null;
        await storage.put<MatriculeHolder>('holder', command.holder);
        return Response.json(previous);
      }
      case 'releaseHolder': {
        if ((await storage.get<MatriculeHolder>('holder'))?.numberKey === command.numberKey) await storage.delete('holder');
        return Response.json(null);
      }
    }
  }

  /** The code's life is over: drop it; the enrolment, if any, stays. */
  async alarm(): Promise<void> {
    const code = await this.state.storage.get<PendingCode>('code');
    if (code && code.expiresAtMs <= Date.now()) await this.state.storage.delete('code');
  }
}

/** `EnrolmentStore` over the `CareerEnrolmentObject` namespace. */
export class DurableObjectEnrolmentStore implements EnrolmentStore {
  constructor(
    private readonly namespace: DurableNamespace,
    private readonly prefix = 'careers:',
  ) {}

  private call<Reply>(numberKey: string, command: Command): Promise<Reply> {
    return callDurableObject<Reply>(this.namespace, `${this.prefix}${numberKey}`, command);
  }

  enrolled(numberKey: string): Promise<string | null> {
    return this.call(numberKey, { op: 'enrolled' });
  }

  async startPending(numberKey: string, pending: { matricule: string; codeHash: string }, ttlMs: number, nowMs: number): Promise<void> {
    await this.call(numberKey, { op: 'start', ...pending, ttlMs, nowMs });
  }

  takeAttempt(numberKey: string, nowMs: number): Promise<PendingCode | null> {
    return this.call(numberKey, { op: 'take', nowMs });
  }

  complete(numberKey: string, codeHash: string, nowMs: number): Promise<string | null> {
    return this.call(numberKey, { op: 'complete', codeHash, nowMs });
  }

  async dropPending(numberKey: string): Promise<void> {
    await this.call(numberKey, { op: 'drop' });
  }

  async unenrol(numberKey: string): Promise<void> {
    await this.call(numberKey, { op: 'unenrol' });
  }

  unenrolIf(numberKey: string, matricule: string): Promise<boolean> {
    return this.call(numberKey, { op: 'unenrolIf', matricule });
  }

  exchangeHolder(matriculeKey: string, holder: MatriculeHolder): Promise<MatriculeHolder | null> {
    return this.call(`m:${matriculeKey}`, { op: 'exchangeHolder', holder });
  }

  async releaseHolder(matriculeKey: string, numberKey: string): Promise<void> {
    await this.call(`m:${matriculeKey}`, { op: 'releaseHolder', numberKey });
  }
}
