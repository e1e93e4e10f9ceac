import { advance, resume, startSession } from '../../engine/engine.js';
import type { MenuRegistry } from '../../engine/menu-registry.js';
import { LANGUAGES, type Language, type Menu } from '../../engine/schema.js';
import type { Effect, HopContext, Screen, ServiceOutcome, Step } from '../../engine/types.js';
import type { Logger } from '../../observability/logger.js';
import type { GatewayMetrics } from '../../observability/metrics.js';
import { maskMsisdn } from '../../privacy/mask.js';
import type { ServiceRegistry } from '../../services/service-registry.js';
import type { PreferenceStore, SessionStore } from '../../../sessions/session-store.js';
import type { SessionEndReason, UssdHop } from './dialect.js';
import type { Deferrals } from '../../services/deferred-calls.js';
import { CHANNEL_MESSAGES, type ChannelMessage } from './messages.js';
import { decodeRecord, encodeRecord, type UssdSessionRecord } from './session-record.js';

export interface HopHandlerDeps {
  menus: MenuRegistry;
  services: ServiceRegistry;
  sessions: SessionStore;
  preferences: PreferenceStore;
  logger: Logger;
  metrics: GatewayMetrics;
  sessionTtlSeconds: number;
  /** Time budget of one service call inside a hop. */
  serviceDeadlineMs: number;
  /**
   * Where a call that misses the budget goes to finish in the background, when the menu has a
   * `deferred` branch for it ("we will send you the answer by SMS"). Without it: `timeout`.
   */
  deferrals?: Deferrals;
}

export interface HopAnswer {
  screen: Screen;
  /**
   * False when the session ended (the provider timed it out or the citizen aborted) while this
   * hop was being worked on: a late reply is dropped, not sent, and nothing of the hop is kept.
   */
  deliver: boolean;
}

/** Compare-and-set attempts before telling the citizen to retry: only a flood of duplicates gets there. */
const MAX_SAVE_ATTEMPTS = 4;
/** Service calls one hop may chain (an action whose outcome leads to another action, dial-through inputs). */
const MAX_CALLS_PER_HOP = 8;
/** A closed session is kept this long so a retransmitted last hop gets its END again. */
const CLOSED_SESSION_TTL_SECONDS = 30;

type Decision =
  | { type: 'answer'; answer: HopAnswer }
  | { type: 'step'; menu: Menu; step: Step; language: Language; pendingInputs: readonly string[] };

/**
 * Runs one USSD hop: load the session, work out the new input, step the engine, call services
 * within the time budget, and commit with compare-and-set. Dialect-agnostic and runtime-agnostic:
 * everything it touches comes in through ports.
 */
export async function handleHop(deps: HopHandlerDeps, provider: string, hop: UssdHop, screenLimit: number): Promise<HopAnswer> {
  const key = `${provider}:${hop.sessionId}`;
  const ctx: HopContext = { msisdn: hop.msisdn, screenLimit };
  const log = { provider, session: hop.sessionId, msisdn: maskMsisdn(hop.msisdn) };
  const now = Date.now();

  // A first hop needs the citizen's language too: ask for both at once (one round trip when pipelined).
  let language = hop.isBegin ? deps.preferences.getLanguage(hop.msisdn) : null;
  // If the session load fails first, nobody awaits this lookup: mark its failure handled here
  // (awaiting it later still sees the rejection), or Node would count it as unhandled.
  language?.catch(() => undefined);
  for (let attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt++) {
    const stored = await deps.sessions.load(key);
    const previous = stored ? decodeRecord(stored.data) : null;
    const decision = await decide(deps, hop, previous, ctx, log, language, attempt > 0, now);
    if (decision.type === 'answer') return decision.answer;

    const { step, effects } = await runHop(deps, decision, ctx, log, { provider, sessionId: hop.sessionId });
    const screen = step.type === 'screen' ? step.screen : channelScreen('unavailable', decision.language);
    const record: UssdSessionRecord = { e: step.state, h: hopKey(hop), s: screen };
    if (hop.resend) {
      record.r = hop.resend.key;
      record.t = now;
    }
    if (screen.end) record.x = step.type === 'screen' ? 'completed' : 'error';
    const ttl = screen.end ? CLOSED_SESSION_TTL_SECONDS : deps.sessionTtlSeconds;
    if (await deps.sessions.save(key, encodeRecord(record), stored?.version ?? null, ttl)) {
      await applyEffects(deps, hop, effects);
      return { screen, deliver: true };
    }
    // Another request of this session committed first (a retransmission racing the original, or
    // the provider's time-out): reload and decide again from what was committed.
    deps.logger.debug({ ...log, attempt }, 'session changed under this hop, retrying');
    language = null;
  }
  deps.logger.warn(log, 'session contention: gave up after retries');
  return { screen: channelScreen('busy', 'fr'), deliver: true };
}

/**
 * Records that the provider closed a session (released, timed out, aborted). A hop still being
 * worked on for it will find the session closed when it commits, and its reply is dropped.
 */
export async function endSession(deps: HopHandlerDeps, provider: string, sessionId: string, reason: SessionEndReason): Promise<void> {
  const key = `${provider}:${sessionId}`;
  for (let attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt++) {
    const stored = await deps.sessions.load(key);
    if (!stored) return;
    const record = decodeRecord(stored.data);
    if (record.x) return;
    const ended: UssdSessionRecord = { ...record, x: reason };
    if (await deps.sessions.save(key, encodeRecord(ended), stored.version, CLOSED_SESSION_TTL_SECONDS)) {
      deps.logger.info({ provider, session: sessionId, reason }, 'session ended by the provider');
      return;
    }
  }
}

async function decide(
  deps: HopHandlerDeps,
  hop: UssdHop,
  previous: UssdSessionRecord | null,
  ctx: HopContext,
  log: Record<string, unknown>,
  storedLanguage: Promise<string | null> | null,
  raced: boolean,
  now: number,
): Promise<Decision> {
  if (previous) {
    // Closed by the provider (or the citizen) while this hop was on its way or being worked on,
    // or a hop the provider sends after its own release (a Hubtel `response` after `release`):
    // checked before retransmissions, since the stored screen may be a menu that would reopen a
    // closed session. Not delivered where the dialect can drop it (SMPP); an HTTP provider that
    // still waits gets an END, never the menu.
    if (previous.x && previous.x !== 'completed' && previous.x !== 'error') {
      return { type: 'answer', answer: { screen: channelScreen('sessionExpired', previous.e.language), deliver: false } };
    }
    const input = newInput(hop, previous, now);
    if (input.type === 'repeat') return { type: 'answer', answer: { screen: previous.s, deliver: true } };
    if (input.type === 'mismatch') {
      deps.logger.warn(log, 'hop text does not extend the session history');
      return { type: 'answer', answer: { screen: channelScreen('sessionExpired', previous.e.language), deliver: !raced } };
    }
    if (input.type === 'input') {
      if (previous.s.end) return { type: 'answer', answer: { screen: previous.s, deliver: true } };
      const menu = deps.menus.atVersion(previous.e.menuId, previous.e.menuVersion);
      if (!menu) return { type: 'answer', answer: { screen: channelScreen('menuUpdated', previous.e.language), deliver: true } };
      return { type: 'step', menu, step: advance(menu, previous.e, input.text, ctx), language: previous.e.language, pendingInputs: [] };
    }
    // input.type === 'restart': the same session id opens a new session (dialects keyed by phone number).
  } else if (!hop.isBegin) {
    return { type: 'answer', answer: { screen: channelScreen('sessionExpired', 'fr'), deliver: true } };
  }

  const resolved = deps.menus.resolve(hop.serviceCode);
  if (!resolved) {
    deps.logger.info({ ...log, serviceCode: hop.serviceCode }, 'unknown service code');
    return { type: 'answer', answer: { screen: channelScreen('unknownServiceCode', 'fr'), deliver: true } };
  }
  const { menu, inputs } = resolved;
  const language = toLanguage(await (storedLanguage ?? deps.preferences.getLanguage(hop.msisdn))) ?? menu.defaultLanguage;
  // A first hop that already carries input (`*123*1*PS00373-240001#` dialled, or a dialect that
  // sends the first input with the opening) walks those inputs in this same hop.
  const firstInputs = hop.input.kind === 'latest' && hop.input.text !== '' ? [...inputs, hop.input.text] : inputs;
  return { type: 'step', menu, step: startSession(menu, language, ctx), language, pendingInputs: firstInputs };
}

type NewInput = { type: 'input'; text: string } | { type: 'repeat' } | { type: 'restart' } | { type: 'mismatch' };

/**
 * The part of the hop the session has not seen yet. Africa's Talking resends the whole history
 * (`1*2*PS00373-240001`); the record holds the history already handled, so the new input is
 * what extends it, even when that input itself contains `*`. Other dialects send only the new
 * input, and some number their hops so that a retransmission can be recognised; where the number
 * alone cannot tell (SMPP), the hop also says what a copy of it repeats (`resend`).
 */
function newInput(hop: UssdHop, previous: UssdSessionRecord, now: number): NewInput {
  const text = hop.input.text;
  if (hop.input.kind === 'latest') {
    if (hop.hopId !== undefined && hop.hopId === previous.h) return { type: 'repeat' };
    if (hop.resend && hop.resend.key === previous.r && previous.t !== undefined && now - previous.t <= hop.resend.withinMs) return { type: 'repeat' };
    return hop.isBegin ? { type: 'restart' } : { type: 'input', text };
  }
  const seen = previous.h;
  if (text === seen) return { type: 'repeat' };
  if (seen === '') return { type: 'input', text };
  if (text.startsWith(seen + '*')) return { type: 'input', text: text.slice(seen.length + 1) };
  // An older hop arriving late: answer with where the session is now, change nothing.
  if (seen.startsWith(text + '*') || text === '') return { type: 'repeat' };
  return { type: 'mismatch' };
}

function hopKey(hop: UssdHop): string {
  return hop.input.kind === 'cumulative' ? hop.input.text : (hop.hopId ?? '');
}

/** Runs the service calls the engine asks for, then any dial-through inputs, within one hop. */
async function runHop(
  deps: HopHandlerDeps,
  decision: Extract<Decision, { type: 'step' }>,
  ctx: HopContext,
  log: Record<string, unknown>,
  session: { provider: string; sessionId: string },
): Promise<{ step: Step; effects: Effect[] }> {
  const { menu } = decision;
  let step = decision.step;
  const effects = [...step.effects];
  const pending = [...decision.pendingInputs];
  for (let calls = 0; calls < MAX_CALLS_PER_HOP; ) {
    if (step.type === 'call') {
      let outcome = await callService(deps, step.call.service, step.call.args, ctx.msisdn, step.state.language, log);
      const node = menu.nodes[step.state.node];
      if (outcome.outcome === 'timeout' && deps.deferrals && node?.type === 'action' && node.on.deferred !== undefined) {
        await deps.deferrals.defer({ ...session, msisdn: ctx.msisdn, state: step.state, call: step.call, screenLimit: ctx.screenLimit });
        outcome = { outcome: 'deferred' };
      }
      step = resume(menu, step.state, outcome, ctx);
      calls++;
    } else {
      const input = pending.shift();
      if (input === undefined || step.screen.end) break;
      step = advance(menu, step.state, input, ctx);
    }
    effects.push(...step.effects);
  }
  return { step, effects };
}

async function callService(
  deps: HopHandlerDeps,
  service: string,
  args: Record<string, string>,
  msisdn: string,
  language: Language,
  log: Record<string, unknown>,
): Promise<ServiceOutcome> {
  const handler = deps.services[service];
  if (!handler) {
    deps.logger.error({ ...log, service }, 'menu calls a service the gateway does not have');
    return { outcome: 'error' };
  }
  // The signal is made only if the service asks for it: creating an AbortController on every hop
  // costs more on Node 20 than the rest of a local service call.
  let controller: AbortController | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<ServiceOutcome>((resolve) => {
    timer = setTimeout(() => {
      controller?.abort();
      resolve({ outcome: 'timeout' });
    }, deps.serviceDeadlineMs);
  });
  const ctx = {
    msisdn,
    language,
    get signal(): AbortSignal {
      controller ??= new AbortController();
      return controller.signal;
    },
  };
  const started = performance.now();
  let outcome: ServiceOutcome;
  try {
    outcome = await Promise.race([handler(args, ctx), deadline]);
    if (outcome.outcome === 'timeout') deps.logger.warn({ ...log, service, ms: Math.round(performance.now() - started) }, 'service over its time budget');
  } catch (error) {
    deps.logger.error({ ...log, service, err: errorMessage(error) }, 'service call failed');
    outcome = { outcome: 'error' };
  } finally {
    clearTimeout(timer);
  }
  deps.metrics.observeServiceCall(service, outcome.outcome, (performance.now() - started) / 1000);
  return outcome;
}

async function applyEffects(deps: HopHandlerDeps, hop: UssdHop, effects: readonly Effect[]): Promise<void> {
  for (const effect of effects) {
    if (effect.type === 'setLanguage') await deps.preferences.setLanguage(hop.msisdn, effect.language);
  }
}

export function channelScreen(message: ChannelMessage, language: Language): Screen {
  return { text: CHANNEL_MESSAGES[language][message], end: true };
}

function toLanguage(value: string | null): Language | null {
  return value !== null && (LANGUAGES as readonly string[]).includes(value) ? (value as Language) : null;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
