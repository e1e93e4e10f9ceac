import type { Screen } from '../../engine/types.js';
import { spellEverythingInGsm7 } from '../../lib/gsm7.js';
import type { ParseResult, UssdHop } from './port.js';
import { channelScreen, endSession, handleHop, type HopHandlerDeps } from './hop-handler.js';
import type { UssdProviderSettings } from './provider-settings.js';
import { textHasher } from './pii-hash.js';

/** What a transport (HTTP route, SMPP link) does with a parsed request. */
export type HopOutcome =
  /** Not a valid hop: the HTTP route answers 4xx with the reason; SMPP logs it and sends nothing. */
  | { type: 'reject'; status: 400 | 415; reason: string }
  /** A notice or a session end: acknowledged, no screen. */
  | { type: 'acknowledge' }
  /**
   * A screen for the citizen, already within the provider's limit and encoding. `deliver` false:
   * the session ended meanwhile; SMPP drops it, HTTP still answers (the provider stopped listening).
   */
  | { type: 'answer'; screen: Screen; hop?: UssdHop; deliver: boolean };

/**
 * The one path every USSD request takes once its dialect has parsed it, whatever carried it
 * (HTTP or SMPP): session ends, the provider's short codes, its screen limit, the hop itself,
 * metrics, and the provider's encoding on the way out. Transports only read and write wires.
 */
export async function runHopPipeline(
  deps: HopHandlerDeps,
  provider: string,
  parsed: ParseResult,
  settings: UssdProviderSettings | undefined,
  defaultScreenLimit: number,
): Promise<HopOutcome> {
  const started = performance.now();
  if (!parsed.ok) {
    if (parsed.kind === 'reject') {
      deps.metrics.observeHop(provider, 'rejected', 0);
      return { type: 'reject', status: parsed.status, reason: parsed.reason };
    }
    return { type: 'answer', screen: encodeFor(settings, channelScreen(parsed.reason, 'fr')), deliver: true };
  }
  if ('notice' in parsed) return { type: 'acknowledge' };
  if ('ended' in parsed) {
    try {
      await endSession(deps, provider, parsed.ended.sessionId, parsed.ended.reason);
    } catch (error) {
      deps.logger.error({ provider, err: errorMessage(error) }, 'session end not recorded');
    }
    return { type: 'acknowledge' };
  }

  const hop = parsed.hop;
  if (settings?.serviceCodes && hop.isBegin && !servesCode(settings.serviceCodes, hop.serviceCode)) {
    return { type: 'answer', screen: encodeFor(settings, channelScreen('unknownServiceCode', 'fr')), hop, deliver: true };
  }
  const limit = settings?.screenLimit ?? defaultScreenLimit;
  // Counted now, awaited by the hop beside its session load: no round trip of its own (see FloodGuard).
  const admission = deps.floodGuard ? deps.floodGuard.admit(hop.msisdn, deps.hashText ?? textHasher(deps.piiHashKey)) : null;
  try {
    const answer = await handleHop(deps, provider, hop, limit, admission);
    deps.metrics.observeHop(provider, answer.screen.end ? 'end' : 'continue', (performance.now() - started) / 1000);
    return { type: 'answer', screen: encodeFor(settings, answer.screen), hop, deliver: answer.deliver };
  } catch (error) {
    // The session store or a bug: the citizen still gets a polite screen, operators get the log.
    deps.logger.error({ provider, err: errorMessage(error) }, 'hop failed');
    deps.metrics.observeHop(provider, 'failed', (performance.now() - started) / 1000);
    return { type: 'answer', screen: encodeFor(settings, channelScreen('unavailable', 'fr')), hop, deliver: true };
  }
}

function encodeFor(settings: UssdProviderSettings | undefined, screen: Screen): Screen {
  if (settings?.encoding !== 'gsm7') return screen;
  // Characters with no GSM-7 spelling at all become '?', as the network would show them anyway.
  return { ...screen, text: spellEverythingInGsm7(screen.text) };
}

function servesCode(allowed: readonly string[], dialled: string): boolean {
  return allowed.some((code) => dialled === code || dialled.startsWith(code.slice(0, -1) + '*'));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
