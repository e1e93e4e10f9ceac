import { advance, redisplay, resume, startSession } from '../../engine/engine.js';
import type { MenuRegistry } from '../../engine/menu-registry.js';
import { LANGUAGES, surveyChannelOf, type Language, type Menu } from '../../engine/schema.js';
import type { Effect, EngineState, HopContext, Screen, ServiceOutcome, Step } from '../../engine/types.js';
import { uiText } from '../../engine/ui-text.js';
import type { Logger } from '../../observability/logger.js';
import type { GatewayMetrics } from '../../observability/metrics.js';
import type { FunnelRecorder } from '../../observability/funnels.js';
import { FunnelTrace, funnelSessionOf } from '../../observability/ussd-funnel.js';
import { maskMsisdn } from '../../lib/mask.js';
import type { ServiceRegistry } from '../../services/service-registry.js';
import type { PreferenceStore, SessionStore, VersionedRecord } from '../../sessions/port.js';
import type { SessionEndReason, UssdHop } from './port.js';
import type { DeferredCall, Deferrals } from '../../services/deferred-calls.js';
import { dialledForLog, sessionForLog } from './log-fields.js';
import { channelMessage, RESUME_CHOICE, RESUME_OFFER, type ChannelMessage } from './messages.js';
import { MAX_DIALOGUE_SECONDS, RESUMABLE_ENDS, resumeCandidate, resumePointerKey } from './resume.js';
import { textHasher, type TextHasher } from './pii-hash.js';
import { identityProofVars, withoutVars } from './proof-vars.js';
import { decodeBoundRecord, encodeRecord, type UssdSessionRecord, type UssdSurveyStage } from './session-record.js';
import type { FloodGuard } from './flood-guard.js';
import type { RateDecision } from '../../limits/rate/port.js';
import type { SurveyService } from '../../surveys/survey-service.js';
import { parseSurveyWord } from '../../surveys/answer.js';
import type { SurveyRating } from '../../surveys/port.js';
import { surveyQuestionScreen, surveyUssdText } from '../../surveys/templates.js';

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
  /** Key of the hashes kept in session records (`PII_HASH_KEY`, the same on every instance); a built-in one otherwise. */
  piiHashKey?: string;
  /**
   * The keyed hash itself, where the runtime has a faster one than Web Crypto's (Node's synchronous
   * HMAC: Web Crypto's `subtle.sign` was the largest single cost of a hop). Same digests either way.
   */
  hashText?: TextHasher;
  /**
   * How long one session-store or preference call may take inside a hop before the citizen is told
   * "Service momentanément indisponible" (the Node gateway's Redis client gives up sooner, 300 ms).
   */
  storeBudgetMs?: number;
  /** Per-screen counters (`src/observability/funnels.ts`), in process memory; absent: nothing counted. */
  funnels?: FunnelRecorder;
  /** Hops per caller number over every instance (`USSD_HOP_RATE_PER_MINUTE`); absent: no flood guard. */
  floodGuard?: FloodGuard;
  /**
   * `RESUME_WINDOW_SECONDS`: how long after a session was cut its caller may redial and pick it up
   * again (`resume.ts`); 0 or absent: never offered, and nothing of it is written.
   */
  resumeWindowSeconds?: number;
  /** The clock hops read (ms since the epoch); the stores keep their own. Tests move it. */
  now?: () => number;
  /**
   * The satisfaction survey after a session ends on a `survey` screen: by SMS once the session
   * closed (`survey: sms`/`true`), or asked on that screen (`survey: ussd`); absent: none.
   */
  menuSurveys?: Pick<SurveyService, 'offer' | 'askUssd' | 'answerUssd' | 'addUssdWord'>;
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
/** Default of `storeBudgetMs`: a store slower than this is as good as down for a citizen waiting on a handset. */
const STORE_BUDGET_MS = 1000;

type Decision =
  | { type: 'answer'; answer: HopAnswer }
  | {
      type: 'step';
      menu: Menu;
      step: Step;
      language: Language;
      pendingInputs: readonly string[];
      /** The session this hop continues; null when it opens one (even under a reused, phone-keyed id). */
      continues: UssdSessionRecord | null;
      /** The input the engine was given for `step`; null when the hop opened the session. */
      input: string | null;
      /** Set when `step` is the resume offer: the state its `1` restores. */
      offer?: EngineState;
      /**
       * Set when this hop answered the USSD survey (the menu's part was over): where the survey
       * is now (null: done). Such hops are no funnel steps.
       */
      survey?: UssdSurveyStage | null;
    };

/** What an opening needs to find the caller's previous session on the code (`resume.ts`). */
interface ResumeLookup {
  /** The previous session's store key, as the pointer exchange handed it back (null: none, or the lookup failed). */
  previousKey: Promise<string | null> | null;
  key: string;
}

/** What the hop's own text hashes to, worked out once per hop. */
interface HopDigests {
  hash: TextHasher;
  /** Keyed hash of the cumulative text (cumulative dialects). */
  text: string | null;
  /** Keyed hash of the `resend` key (SMPP). */
  resend: string | null;
}

/**
 * Runs one USSD hop: load the session, work out the new input, step the engine, call services
 * within the time budget, and commit with compare-and-set. Dialect-agnostic and runtime-agnostic:
 * everything it touches comes in through ports.
 */
export async function handleHop(
  deps: HopHandlerDeps,
  provider: string,
  hop: UssdHop,
  screenLimit: number,
  /** The flood guard's count of this hop, started by the pipeline: awaited beside the session load. */
  admission: Promise<RateDecision | null> | null = null,
): Promise<HopAnswer> {
  const key = `${provider}:${hop.sessionId}`;
  const ctx: HopContext = { msisdn: hop.msisdn, screenLimit };
  const log = { provider, session: sessionForLog(hop.sessionId), msisdn: maskMsisdn(hop.msisdn) };
  const now = deps.now?.() ?? Date.now();
  const budget = deps.storeBudgetMs ?? STORE_BUDGET_MS;
  const resumeWindow = deps.resumeWindowSeconds ?? 0;

  // A first hop needs the citizen's language too: asked at once, beside the session load (one
  // round trip when pipelined). Settled into a value right here: if the store is down, the load
  // fails and nobody may ever await this promise, and an unobserved rejection ends a Node process.
  let language: Promise<string | null> | null = hop.isBegin ? languageOf(deps, hop.msisdn, budget, log) : null;
  const hash = deps.hashText ?? textHasher(deps.piiHashKey);
  const digests: HopDigests = {
    hash,
    text: hop.input.kind === 'cumulative' ? await hash(hop.input.text) : null,
    resend: hop.resend ? await hash(hop.resend.key) : null,
  };
  // An opening swaps the caller's pointer for this code to this session, beside the session load
  // (one round trip when pipelined); settled here for the same reason as the language.
  const resumeLookup: ResumeLookup = { key, previousKey: hop.isBegin && resumeWindow > 0 ? exchangePointer(deps, hop, key, resumeWindow, budget, log) : null };
  // A session opened by this hop keeps one nonce over compare-and-set retries: the survey asked
  // on its screen is keyed by it, so a retry asks the same survey, not another one.
  let openingNonce: string | undefined;
  // The record this process saved for the session's last hop, where the store keeps it
  // (`src/sessions/write-through.ts`): the next hop answered here needs no load, and its save's
  // compare-and-set is the check. Tried once, for the first decision only.
  let recentTried = false;
  let admissionChecked = false;
  /** A load already made (to check a recent record) that the next decision starts from. */
  let loaded: VersionedRecord | null | undefined;
  for (let races = 0; races < MAX_SAVE_ATTEMPTS; ) {
    const recent = recentTried ? undefined : deps.sessions.recent?.(key);
    recentTried = true;
    const stored = recent ?? (loaded !== undefined ? loaded : await withinBudget(deps.sessions.load(key), budget, 'session load'));
    loaded = undefined;
    // A record this process saved comes back as the object it was saved from: not parsed again.
    const previous = stored ? ((stored.decoded as UssdSessionRecord | undefined) ?? decodeBoundRecord(stored.data)) : null;
    if (!admissionChecked && admission && (await admission)?.allowed === false) {
      // Over the caller's rate: nothing of the session is read further or changed, no menu runs.
      deps.logger.info(log, 'USSD flood guard: hop refused');
      const own = previous && previous.c === hop.msisdn ? previous.e.language : toLanguage(await (language ?? Promise.resolve(null)));
      return { screen: channelScreen('tooManyHops', own ?? 'fr'), deliver: true };
    }
    admissionChecked = true;
    const decision = await decide(deps, hop, previous, digests, ctx, log, language, races > 0, now, resumeLookup);
    // A recent record is trusted only for a hop that goes from screen to screen, which the save
    // checks: an answer that commits nothing, or a hop that calls a service (a portal lookup, a
    // payment), is decided on what the store holds.
    // The load checks it: at the same version, the record is the one decided on (every save
    // moves the version), and the decision stands; otherwise it is decided again from the load.
    if (recent && (decision.type === 'answer' || decision.step.type !== 'screen' || decision.pendingInputs.length > 0)) {
      const current = await withinBudget(deps.sessions.load(key), budget, 'session load');
      if (current?.version !== recent.version) {
        loaded = current;
        continue;
      }
    }
    if (decision.type === 'answer') return decision.answer;

    const trace = deps.funnels && decision.survey === undefined ? new FunnelTrace(decision.menu, decision.continues?.e ?? null, decision.input, decision.step) : undefined;
    const { step, effects, deferred, provedIdentity } = await runHop(deps, decision, ctx, log, { provider, sessionId: hop.sessionId }, trace);
    const nonce = decision.continues?.n ?? (openingNonce ??= newSessionNonce());
    let screen = step.type === 'screen' ? step.screen : channelScreen('unavailable', decision.language);
    // `survey: ussd`: the END screen asks for the rating instead of closing, when the week allows.
    const surveyScreen = screen.end && step.type === 'screen' && decision.survey === undefined ? await askSurveyOnScreen(deps, hop, decision.menu, step, nonce, ctx, budget, log) : null;
    if (surveyScreen) screen = surveyScreen;
    const surveyStage: UssdSurveyStage | undefined = surveyScreen ? { q: 'rating' } : (decision.survey ?? undefined);
    const record: UssdSessionRecord = {
      e: keptState(decision.menu, step, screen, provedIdentity),
      c: hop.msisdn,
      n: nonce,
      h: hop.input.kind === 'cumulative' ? (digests.text ?? '') : (hop.hopId ?? ''),
      s: screen,
      o: decision.continues ? decision.continues.o : now,
      k: (decision.continues?.k ?? 0) + 1,
    };
    if (hop.input.kind === 'cumulative') record.p = [...(decision.continues?.p ?? []), hop.input.text.length];
    if (digests.resend !== null) {
      record.r = digests.resend;
      record.t = now;
    }
    if (screen.end) record.x = step.type === 'screen' ? 'completed' : 'error';
    if (decision.offer) record.b = decision.offer;
    if (surveyStage && !screen.end) record.v = surveyStage;
    if (resumeWindow > 0) record.l = now;
    // Resuming on: an open record is kept the window past its time-out, so a silent drop (no
    // end notice) can be resumed from it; not one holding an identity proof being typed, nor an
    // offer, nor one whose menu is over (the survey).
    const keptForResume = resumeWindow > 0 && !decision.offer && record.v === undefined && !holdsProofVars(decision.menu, record.e);
    const ttl = screen.end ? CLOSED_SESSION_TTL_SECONDS : deps.sessionTtlSeconds + (keptForResume ? resumeWindow : 0);
    const version = stored?.version ?? null;
    // Handed to the store as well: from here on `record` is never changed (a store may keep it).
    if (await withinBudget(deps.sessions.save(key, encodeRecord(record), version, ttl, record), budget, 'session save')) {
      // Deferred answers are queued only by the hop that committed: a copy racing it loses the
      // compare-and-set and queues nothing, a later retransmission is answered from the record.
      // Most hops queue nothing: no await (a microtask turn) for them.
      if (deferred.length > 0 && !(await queueDeferred(deps, deferred, record, (version ?? 0) + 1, log))) {
        const unavailable = channelScreen('unavailable', decision.language);
        // Best effort: a retransmission is then not told "par SMS" either; if the store is failing
        // too, the retransmission fails the same polite way.
        await withinBudget(deps.sessions.save(key, encodeRecord({ ...record, s: unavailable, x: 'error' }), (version ?? 0) + 1, CLOSED_SESSION_TTL_SECONDS), budget, 'session save').catch(
          () => false,
        );
        if (trace) countHop(deps, trace, key, provider, previous, decision, { ...record, x: 'error' }, (version ?? 0) + 1);
        return { screen: unavailable, deliver: true };
      }
      if (effects.length > 0) await applyEffects(deps, hop, effects);
      if (screen.end && step.type === 'screen' && decision.survey === undefined) offerSurvey(deps, hop, decision.menu, step, record.n, log);
      // The hop that asks the survey completed the menu: counted as ended there.
      if (trace) countHop(deps, trace, key, provider, previous, decision, record, (version ?? 0) + 1, surveyScreen !== null);
      return { screen, deliver: true };
    }
    // The recent record was stale (another instance answered the session since): load it, no race lost.
    if (recent) continue;
    // Another request of this session committed first (a retransmission racing the original, or
    // the provider's time-out): reload and decide again from what was committed.
    deps.logger.debug({ ...log, attempt: races }, 'session changed under this hop, retrying');
    language = null;
    races++;
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
    const stored = await withinBudget(deps.sessions.load(key), deps.storeBudgetMs ?? STORE_BUDGET_MS, 'session load');
    if (!stored) return;
    const record = decodeBoundRecord(stored.data);
    if (!record || record.x) return;
    // A cut session stays resumable for the window (its record is the resume record), without
    // the identity proof it may have held; any other end is kept only for retransmissions.
    const menu = deps.menus.atVersion(record.e.menuId, record.e.menuVersion);
    // A session cut during its survey completed its menu: only the survey is lost, nothing resumed.
    const resumable = (deps.resumeWindowSeconds ?? 0) > 0 && RESUMABLE_ENDS.has(reason) && menu !== undefined && record.b === undefined && record.v === undefined;
    const ended: UssdSessionRecord = resumable ? { ...record, e: withoutVars(record.e, identityProofVars(menu).all), x: reason } : { ...record, x: reason };
    const ttl = resumable ? Math.max(CLOSED_SESSION_TTL_SECONDS, deps.resumeWindowSeconds ?? 0) : CLOSED_SESSION_TTL_SECONDS;
    if (await withinBudget(deps.sessions.save(key, encodeRecord(ended), stored.version, ttl), deps.storeBudgetMs ?? STORE_BUDGET_MS, 'session save')) {
      deps.logger.info({ provider, session: sessionForLog(sessionId), reason }, 'session ended by the provider');
      // Counted as ended when the survey was asked: not a drop of the menu.
      if (record.v === undefined) deps.funnels?.dropped(funnelSessionOf(key, stored.version + 1, record, provider, deps.menus.atVersion(record.e.menuId, record.e.menuVersion)), reason);
      return;
    }
  }
}

async function decide(
  deps: HopHandlerDeps,
  hop: UssdHop,
  previous: UssdSessionRecord | null,
  digests: HopDigests,
  ctx: HopContext,
  log: Record<string, unknown>,
  storedLanguage: Promise<string | null> | null,
  raced: boolean,
  now: number,
  resumeLookup: ResumeLookup,
): Promise<Decision> {
  if (previous && previous.c !== hop.msisdn) {
    // Another number naming this session (its id guessed, replayed or, for phone-keyed dialects,
    // forged): refused before anything of the session is read, retransmission shortcut included,
    // and in the default language, not the holder's. The session is left exactly as it was.
    deps.logger.warn(log, 'hop from another number than the session\'s: refused');
    return { type: 'answer', answer: { screen: channelScreen('sessionExpired', 'fr'), deliver: true } };
  }
  if (previous) {
    // Closed by the provider (or the citizen) while this hop was on its way or being worked on,
    // or a hop the provider sends after its own release (a Hubtel `response` after `release`):
    // checked before retransmissions, since the stored screen may be a menu that would reopen a
    // closed session. Not delivered where the dialect can drop it (SMPP); an HTTP provider that
    // still waits gets an END, never the menu.
    // A new dial on the key of a cut session (SMPP: many SMSCs reuse the session number) is a new
    // session, not a late hop of the cut one: the cut record is now kept for the resume window.
    const redialOverCut = hop.isBegin && !raced && previous.x !== undefined && RESUMABLE_ENDS.has(previous.x) && (deps.resumeWindowSeconds ?? 0) > 0;
    if (previous.x && previous.x !== 'completed' && previous.x !== 'error' && !redialOverCut) {
      return { type: 'answer', answer: { screen: channelScreen('sessionExpired', previous.e.language), deliver: false } };
    }
    // Kept past its time-out only to be resumed from: as a session, it has expired.
    if (!hop.isBegin && !previous.x && previous.l !== undefined && now - previous.l > deps.sessionTtlSeconds * 1000) {
      return { type: 'answer', answer: { screen: channelScreen('sessionExpired', previous.e.language), deliver: true } };
    }
    const input: NewInput = redialOverCut ? { type: 'restart' } : await newInput(hop, previous, digests, now);
    if (input.type === 'repeat') return { type: 'answer', answer: { screen: previous.s, deliver: true } };
    if (input.type === 'mismatch') {
      deps.logger.warn(log, 'hop text does not extend the session history');
      return { type: 'answer', answer: { screen: channelScreen('sessionExpired', previous.e.language), deliver: !raced } };
    }
    if (input.type === 'input') {
      if (previous.s.end) return { type: 'answer', answer: { screen: previous.s, deliver: true } };
      if (previous.b) return answerResumeOffer(deps, previous, previous.b, input.text, ctx);
      if (previous.v) return answerSurvey(deps, hop, previous, previous.v, input.text, log);
      const menu = deps.menus.atVersion(previous.e.menuId, previous.e.menuVersion);
      if (!menu) return { type: 'answer', answer: { screen: channelScreen('menuUpdated', previous.e.language), deliver: true } };
      return { type: 'step', menu, step: advance(menu, previous.e, input.text, ctx), language: previous.e.language, pendingInputs: [], continues: previous, input: input.text };
    }
    // input.type === 'restart': the same session id opens a new session (dialects keyed by phone number).
  } else if (!hop.isBegin) {
    return { type: 'answer', answer: { screen: channelScreen('sessionExpired', 'fr'), deliver: true } };
  }

  const resolved = deps.menus.resolve(hop.serviceCode);
  if (!resolved) {
    // Only the code: a mistyped dial-through carries what followed it (an NPI, a birth date).
    deps.logger.info({ ...log, serviceCode: dialledForLog(hop.serviceCode) }, 'unknown service code');
    return { type: 'answer', answer: { screen: channelScreen('unknownServiceCode', 'fr'), deliver: true } };
  }
  const { menu, inputs } = resolved;
  const language = toLanguage(await (storedLanguage ?? languageOf(deps, hop.msisdn, deps.storeBudgetMs ?? STORE_BUDGET_MS, log))) ?? menu.defaultLanguage;
  // A first hop that already carries input (`*123*1*PS00373-240001#` dialled, or a dialect that
  // sends the first input with the opening) walks those inputs in this same hop.
  const firstInputs = hop.input.kind === 'latest' && hop.input.text !== '' ? [...inputs, hop.input.text] : inputs;
  // A redial that dials straight through to something (`*123*1*…#`) asked for that, not for its
  // last session: no offer (its pointer is swapped all the same, so that drop is not offered later).
  const previousKey = resumeLookup.previousKey && !raced && firstInputs.length === 0 ? await resumeLookup.previousKey : null;
  if (previousKey !== null) {
    const dropped = previousKey === resumeLookup.key ? previous : (endedHere(deps, previousKey) ?? (await loadOrNull(deps, previousKey, log)));
    const restorable = dropped ? resumeCandidate(dropped, hop.msisdn, menu, deps.menus.atVersion(dropped.e.menuId, dropped.e.menuVersion)) : null;
    if (dropped && restorable) {
      const offerLanguage = restorable.language;
      const fresh: EngineState = { menuId: menu.id, menuVersion: menu.version, node: menu.start, back: [], vars: {}, language: offerLanguage, page: 0 };
      const step: Step = { type: 'screen', screen: { text: RESUME_OFFER[offerLanguage], end: false }, state: fresh, effects: [] };
      deps.logger.info(log, 'redial after a cut session: resume offered');
      return { type: 'step', menu, step, language: offerLanguage, pendingInputs: [], continues: null, input: null, offer: restorable };
    }
  }
  return { type: 'step', menu, step: startSession(menu, language, ctx), language, pendingInputs: firstInputs, continues: null, input: null };
}

/**
 * The citizen's answer to the resume offer: 1 shows the restored screen with the inputs it had
 * collected, 2 (or 00) the menu's start; anything else the offer again.
 */
function answerResumeOffer(deps: HopHandlerDeps, previous: UssdSessionRecord, restorable: EngineState, text: string, ctx: HopContext): Decision {
  const language = previous.e.language;
  const choice = text.trim();
  const menu = deps.menus.atVersion(choice === RESUME_CHOICE.resume ? restorable.menuId : previous.e.menuId, choice === RESUME_CHOICE.resume ? restorable.menuVersion : previous.e.menuVersion);
  if (!menu) return { type: 'answer', answer: { screen: channelScreen('menuUpdated', language), deliver: true } };
  if (choice === RESUME_CHOICE.resume) {
    return { type: 'step', menu, step: redisplay(menu, restorable, ctx), language: restorable.language, pendingInputs: [], continues: previous, input: null };
  }
  if (choice === RESUME_CHOICE.restart || choice === '00') {
    return { type: 'step', menu, step: startSession(menu, language, ctx), language, pendingInputs: [], continues: previous, input: null };
  }
  const screen: Screen = { text: `${uiText(language).invalidChoice}\n${RESUME_OFFER[language]}`, end: false };
  return { type: 'step', menu, step: { type: 'screen', screen, state: previous.e, effects: [], refused: true }, language, pendingInputs: [], continues: previous, input: text, offer: restorable };
}

/**
 * Swaps the caller's pointer for the dialled code to this session and hands back the session it
 * named. Settled into a value at once: a failing store only means no offer.
 */
function exchangePointer(deps: HopHandlerDeps, hop: UssdHop, key: string, windowSeconds: number, budgetMs: number, log: Record<string, unknown>): Promise<string | null> | null {
  const resolved = deps.menus.resolve(hop.serviceCode);
  if (!resolved) return null;
  return withinBudget(deps.sessions.exchange(resumePointerKey(resolved.code, hop.msisdn), key, MAX_DIALOGUE_SECONDS + windowSeconds), budgetMs, 'resume pointer').catch((error: unknown) => {
    deps.logger.warn({ ...log, err: errorMessage(error) }, 'resume pointer not swapped: no resume offered');
    return null;
  });
}

/**
 * The previous session's record when this process saved it on its END screen: such a session is
 * never offered for resuming, and its record no longer changes (later hops are answered from it,
 * a session end leaves it as it is), so it needs no load. Only a phone-keyed dialect reuses a key
 * for a new session, and then under the caller's current key, which the caller takes from its own
 * load. Null: not known here, or not ended, so loaded.
 */
function endedHere(deps: HopHandlerDeps, key: string): UssdSessionRecord | null {
  const recent = deps.sessions.recent?.(key);
  const record = recent ? ((recent.decoded as UssdSessionRecord | undefined) ?? decodeBoundRecord(recent.data)) : null;
  return record?.s.end ? record : null;
}

/** The previous session's record, or null when it is gone, unreadable or the store cannot say in time. */
async function loadOrNull(deps: HopHandlerDeps, key: string, log: Record<string, unknown>): Promise<UssdSessionRecord | null> {
  try {
    const stored = await withinBudget(deps.sessions.load(key), deps.storeBudgetMs ?? STORE_BUDGET_MS, 'session load');
    return stored ? decodeBoundRecord(stored.data) : null;
  } catch (error) {
    deps.logger.warn({ ...log, err: errorMessage(error) }, 'previous session not read: no resume offered');
    return null;
  }
}

/** Whether the state holds an identity proof being typed (then it is never kept longer than its session). */
function holdsProofVars(menu: Menu, state: EngineState): boolean {
  const proof = identityProofVars(menu);
  return proof.all.size > 0 && Object.keys(state.vars).some((name) => proof.all.has(name));
}

type NewInput = { type: 'input'; text: string } | { type: 'repeat' } | { type: 'restart' } | { type: 'mismatch' };

/**
 * The part of the hop the session has not seen yet. Africa's Talking resends the whole history
 * (`1*2*PS00373-240001`); the record holds the history already handled, so the new input is
 * what extends it, even when that input itself contains `*`. Other dialects send only the new
 * input, and some number their hops so that a retransmission can be recognised; where the number
 * alone cannot tell (SMPP), the hop also says what a copy of it repeats (`resend`).
 */
async function newInput(hop: UssdHop, previous: UssdSessionRecord, digests: HopDigests, now: number): Promise<NewInput> {
  const text = hop.input.text;
  if (hop.input.kind === 'latest') {
    if (hop.hopId !== undefined && hop.hopId === previous.h) return { type: 'repeat' };
    if (digests.resend !== null && hop.resend && digests.resend === previous.r && previous.t !== undefined && now - previous.t <= hop.resend.withinMs) {
      return { type: 'repeat' };
    }
    return hop.isBegin ? { type: 'restart' } : { type: 'input', text };
  }
  // The record holds the keyed hash of the history handled so far and the lengths of the texts
  // seen, not the history itself (it may hold an NPI and a birth date).
  const seenLength = previous.p?.at(-1) ?? 0;
  if (text.length === seenLength && digests.text === previous.h) return { type: 'repeat' };
  if (seenLength === 0) return text === '' ? { type: 'repeat' } : { type: 'input', text };
  if (text.length > seenLength && text[seenLength] === '*' && (await digests.hash(text.slice(0, seenLength))) === previous.h) {
    return { type: 'input', text: text.slice(seenLength + 1) };
  }
  // An older hop arriving late (a text as long as one this session already handled): answer with
  // where the session is now, change nothing. Only its length can be checked, and only the
  // session's own caller gets this far, so the most it can get is the screen it was already shown.
  if (text === '' || (text.length < seenLength && (previous.p ?? []).includes(text.length))) return { type: 'repeat' };
  return { type: 'mismatch' };
}

/** Runs the service calls the engine asks for, then any dial-through inputs, within one hop. */
async function runHop(
  deps: HopHandlerDeps,
  decision: Extract<Decision, { type: 'step' }>,
  ctx: HopContext,
  log: Record<string, unknown>,
  session: { provider: string; sessionId: string },
  trace: FunnelTrace | undefined,
): Promise<{ step: Step; effects: Effect[]; deferred: DeferredCall[]; provedIdentity: boolean }> {
  const { menu } = decision;
  let step = decision.step;
  const effects = [...step.effects];
  const deferred: DeferredCall[] = [];
  const proofVars = identityProofVars(menu);
  let provedIdentity = false;
  const pending = [...decision.pendingInputs];
  for (let calls = 0; calls < MAX_CALLS_PER_HOP; ) {
    if (step.type === 'call') {
      let outcome = await callService(deps, step.call.service, step.call.args, ctx.msisdn, step.state.language, log);
      const node = menu.nodes[step.state.node];
      const isProof = proofVars.byNode.has(step.state.node);
      provedIdentity ||= isProof;
      // An identity proof is never finished in the background: the job would have to keep the NPI
      // and birth date for as long as the queue keeps jobs (a day once done, a week once failed).
      // The citizen gets the menu's `otherwise` answer and tries again.
      if (outcome.outcome === 'timeout' && !isProof && deps.deferrals && node?.type === 'action' && node.on.deferred !== undefined) {
        // Queued once the hop commits (`queueDeferred`): a copy of this hop that loses the race queues nothing.
        deferred.push({ ...session, msisdn: ctx.msisdn, state: withoutVars(step.state, proofVars.all), call: step.call, screenLimit: ctx.screenLimit });
        outcome = { outcome: 'deferred' };
      }
      step = resume(menu, step.state, outcome, ctx);
      trace?.resumed(step);
      calls++;
    } else {
      const input = pending.shift();
      if (input === undefined || step.screen.end) break;
      const from = step.state;
      step = advance(menu, from, input, ctx);
      trace?.advanced(from, input, step);
    }
    effects.push(...step.effects);
  }
  return { step, effects, deferred, provedIdentity };
}

/**
 * The engine state to commit. The NPI and birth date an identity proof needs stay only while the
 * citizen is still typing them (resting on an input screen before the check): dropped once the
 * check ran, the session ended or the citizen went elsewhere.
 */
function keptState(menu: Menu, step: Step, screen: Screen, provedIdentity: boolean): Step['state'] {
  const proofVars = identityProofVars(menu);
  if (proofVars.all.size === 0) return step.state;
  const restsOnInput = menu.nodes[step.state.node]?.type === 'input';
  return provedIdentity || screen.end || !restsOnInput ? withoutVars(step.state, proofVars.all) : step.state;
}

/**
 * Queues the deferred answers of a committed hop, under ids unique to the hop: the session's own
 * random id and the version the hop committed. The session id alone is reused (phone-keyed
 * dialects key every session of a handset by its number) and would make the queue drop a later
 * answer as a duplicate of an earlier one. False when queueing failed: the citizen must then not
 * be told "par SMS"; the committed screen is replaced (best effort) so a retransmission is not told either.
 */
async function queueDeferred(deps: HopHandlerDeps, deferred: readonly DeferredCall[], record: UssdSessionRecord, version: number, log: Record<string, unknown>): Promise<boolean> {
  if (deferred.length === 0 || !deps.deferrals) return true;
  try {
    for (const [index, call] of deferred.entries()) await deps.deferrals.defer(call, { jobId: `${record.n}-${version}-${index}` });
    return true;
  } catch (error) {
    deps.logger.error({ ...log, err: errorMessage(error) }, 'deferred answer not queued');
    return false;
  }
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
    channel: 'ussd' as const,
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

/**
 * Hands a committed hop to the funnels. A new session that took over the key of one still open
 * (phone-keyed dialects: the citizen redialled and nobody told us the old one ended) closes that one
 * as `expired` first.
 */
function countHop(
  deps: HopHandlerDeps,
  trace: FunnelTrace,
  key: string,
  provider: string,
  previous: UssdSessionRecord | null,
  decision: Extract<Decision, { type: 'step' }>,
  record: UssdSessionRecord,
  version: number,
  /** The menu completed on this hop although the session stays open (the survey asked on its last screen). */
  completed = false,
): void {
  const funnels = deps.funnels;
  if (!funnels) return;
  if (previous && !previous.x && decision.continues === null) {
    funnels.dropped(funnelSessionOf(key, version - 1, previous, provider, deps.menus.atVersion(previous.e.menuId, previous.e.menuVersion)), 'expired');
  }
  funnels.hop({
    session: funnelSessionOf(key, version, record, provider, decision.menu),
    opened: decision.continues === null,
    // The resume offer is no screen of the menu: the session counts as started, and its arrival is
    // where 1 or 2 leads (the restored screen, or the start).
    steps: decision.offer ? [] : trace.steps,
    ...(record.x === 'completed' || completed ? { closed: 'ended' as const } : record.x === 'error' ? { closed: 'error' as const } : {}),
  });
}

/**
 * A session completed on a `survey: sms` (or `true`) screen: the survey SMS is asked for once the
 * hop has committed (a retransmission or a racing copy never gets here), not awaited: the END
 * screen is not held for it. Keyed by the session's nonce, so it is asked once whatever happens.
 */
function offerSurvey(deps: HopHandlerDeps, hop: UssdHop, menu: Menu, step: Extract<Step, { type: 'screen' }>, nonce: string, log: Record<string, unknown>): void {
  if (!deps.menuSurveys || surveyChannelOf(menu.nodes[step.state.node]) !== 'sms') return;
  const offer = { to: hop.msisdn, agency: menu.agency ?? menu.id, service: step.state.node, ccsp: '-', language: step.state.language, offerKey: `ussd:${menu.id}:${nonce}` };
  deps.menuSurveys.offer(offer).then(
    (result) => deps.logger.info({ ...log, menu: menu.id, node: step.state.node, survey: result.status }, 'survey after the menu'),
    (error: unknown) => deps.logger.warn({ ...log, err: errorMessage(error) }, 'survey after the menu not sent'),
  );
}

/**
 * A session reaching a `survey: ussd` END screen: the screen that asks the rating under the
 * service's answer, or null for the plain END (no survey service, the two do not fit one screen,
 * the number had its survey this week or sent STOP, the store cannot say within the budget: the
 * citizen has the answer they came for either way). Awaited before the commit, since the screen
 * depends on it; keyed by the session's nonce, so a retried hop asks the same survey.
 */
async function askSurveyOnScreen(
  deps: HopHandlerDeps,
  hop: UssdHop,
  menu: Menu,
  step: Extract<Step, { type: 'screen' }>,
  nonce: string,
  ctx: HopContext,
  budgetMs: number,
  log: Record<string, unknown>,
): Promise<Screen | null> {
  if (!deps.menuSurveys || surveyChannelOf(menu.nodes[step.state.node]) !== 'ussd') return null;
  const { language } = step.state;
  const text = surveyQuestionScreen(step.screen.text, language, ctx.screenLimit);
  if (text === null) {
    deps.logger.info({ ...log, menu: menu.id, node: step.state.node }, 'survey question does not fit under the last screen: not asked');
    return null;
  }
  const ask = { msisdn: hop.msisdn, agency: menu.agency ?? menu.id, service: step.state.node, ccsp: '-', language, offerKey: `ussd:${menu.id}:${nonce}` };
  try {
    const outcome = await withinBudget(deps.menuSurveys.askUssd(ask), budgetMs, 'survey ask');
    deps.logger.info({ ...log, menu: menu.id, node: step.state.node, survey: outcome }, 'survey on the last screen');
    return outcome === 'asked' ? { text, end: false } : null;
  } catch (error) {
    deps.logger.warn({ ...log, err: errorMessage(error) }, 'survey on the last screen not asked');
    return null;
  }
}

/**
 * An input while the USSD survey waits: on the question, 1–5 is counted at once (one atomic step
 * with taking the question) and the word screen follows, 0 leaves; on the word screen, a word is
 * added to that rating and the session closes with thanks. A failing store closes the session
 * politely: only the survey is lost, the menu's part was over.
 */
async function answerSurvey(deps: HopHandlerDeps, hop: UssdHop, previous: UssdSessionRecord, stage: UssdSurveyStage, text: string, log: Record<string, unknown>): Promise<Decision> {
  const language = previous.e.language;
  const menu = deps.menus.atVersion(previous.e.menuId, previous.e.menuVersion);
  if (!menu || !deps.menuSurveys) return { type: 'answer', answer: { screen: { text: surveyUssdText('thanks', language), end: true }, deliver: true } };
  const surveys = deps.menuSurveys;
  const budget = deps.storeBudgetMs ?? STORE_BUDGET_MS;
  const typed = text.trim();
  const to = (screen: Screen, next: UssdSurveyStage | null, refused = false): Decision => ({
    type: 'step',
    menu,
    step: { type: 'screen', screen, state: previous.e, effects: [], ...(refused ? { refused: true as const } : {}) },
    language,
    pendingInputs: [],
    continues: previous,
    input: text,
    survey: next,
  });
  const thanks: Screen = { text: surveyUssdText('thanks', language), end: true };
  if (stage.q === 'rating') {
    if (typed === '0' || typed === '00') return to({ text: surveyUssdText('skipped', language), end: true }, null);
    if (!/^[1-5]$/.test(typed)) return to({ text: `${uiText(language).invalidChoice}\n${surveyUssdText('question', language)}`, end: false }, stage, true);
    try {
      const answered = await withinBudget(surveys.answerUssd(hop.msisdn, Number(typed) as SurveyRating), budget, 'survey answer');
      // Nothing waits any more (its time is over): thanks all the same, nothing is counted.
      return answered ? to({ text: surveyUssdText('word', language), end: false }, { q: 'word', p: answered }) : to(thanks, null);
    } catch (error) {
      deps.logger.warn({ ...log, err: errorMessage(error) }, 'survey rating not counted');
      return to(channelScreen('unavailable', language), null);
    }
  }
  const word = typed === '0' || typed === '00' ? null : parseSurveyWord(typed);
  if (word !== null) {
    // The rating is counted already: a word that cannot be added is only a word lost.
    await withinBudget(surveys.addUssdWord(hop.msisdn, stage.p, word), budget, 'survey word').catch((error: unknown) => {
      deps.logger.warn({ ...log, err: errorMessage(error) }, 'survey word not counted');
    });
  }
  return to(thanks, null);
}

async function applyEffects(deps: HopHandlerDeps, hop: UssdHop, effects: readonly Effect[]): Promise<void> {
  for (const effect of effects) {
    if (effect.type === 'setLanguage') await deps.preferences.setLanguage(hop.msisdn, effect.language);
  }
}

/** The citizen's stored language, or null when the store cannot say in time (the menu's default is used). */
function languageOf(deps: HopHandlerDeps, msisdn: string, budgetMs: number, log: Record<string, unknown>): Promise<string | null> {
  return withinBudget(deps.preferences.getLanguage(msisdn), budgetMs, 'language lookup').catch((error: unknown) => {
    deps.logger.warn({ ...log, err: errorMessage(error) }, 'language lookup failed: menu default used');
    return null;
  });
}

/** A store call that may not hold the hop longer than the budget; past it the hop fails (a polite END). */
function withinBudget<T>(operation: Promise<T>, budgetMs: number, what: string): Promise<T> {
  // One promise and one timer per call, settled by whichever comes first (Promise.race plus
  // finally made three more promises on every store call of every hop).
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} over its ${budgetMs} ms budget`)), budgetMs);
    operation.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** 64 random bits per session: ids of deferred answers, never shown to anyone. */
function newSessionNonce(): string {
  return crypto.randomUUID().replace(/-/g, '').slice(0, 16);
}

export function channelScreen(message: ChannelMessage, language: Language): Screen {
  return { text: channelMessage(message, language), end: true };
}

function toLanguage(value: string | null): Language | null {
  return value !== null && (LANGUAGES as readonly string[]).includes(value) ? (value as Language) : null;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
