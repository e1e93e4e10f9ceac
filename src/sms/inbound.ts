import { isLanguage, languageFromKeyword, type Language } from '../engine/languages.js';
import type { ServiceOutcome } from '../engine/types.js';
import type { Logger } from '../observability/logger.js';
import { normalizeMsisdn } from '../lib/msisdn.js';
import type { RequestStatus } from '../portal/port.js';
import { maskMsisdn } from '../lib/mask.js';
import { startDeadline } from '../lib/deadline.js';
import type { ServiceRegistry } from '../services/service-registry.js';
import type { PreferenceStore } from '../sessions/port.js';
import type { MessageStore } from './store/port.js';
import type { SmsOutbox } from './outbox.js';
import type { SurveyService } from '../surveys/survey-service.js';
import { renderAccessLogSms, renderSms, statusLabel, type TemplateName } from './templates.js';

export interface InboundSms {
  route: string;
  /** The provider's id for the message: a redelivered message is answered once. */
  id: string;
  from: string;
  /** The number the citizen texted (a short code): the reply goes from it. */
  to?: string;
  text: string;
  /**
   * Set where `id` is made from the content (SMPP: no id, sequence numbers restart on rebind):
   * the same message again within this window is a redelivery; later, a new question.
   */
  redeliveryWindowSeconds?: number;
}

export interface InboundDeps {
  services: ServiceRegistry;
  preferences: PreferenceStore;
  outbox: SmsOutbox;
  logger: Logger;
  /** Remembers content ids for their window (the message store). */
  claims?: Pick<MessageStore, 'claimOnce'>;
  /** Satisfaction surveys: a rating is an answer only while the number has a survey pending. */
  surveys?: Pick<SurveyService, 'answerSms'>;
}

type Command =
  | { kind: 'status'; requestNumber: string; english: boolean }
  | { kind: 'help'; english: boolean }
  | { kind: 'access'; english: boolean }
  | { kind: 'stop' }
  | { kind: 'language'; language: Language }
  | { kind: 'unknown' };

/**
 * Keyword commands, French and English, forgiving of case, accents and spacing:
 * `STATUT PS00373-240001` / `STATUS …`, `AIDE` / `HELP`, `STOP` / `ARRET`, `LANGUE EN` / `LANGUAGE FR`,
 * `QUI` / `WHO` (who looked at my file), and the national languages by code or name: `LANGUE FON`,
 * `LANGUE FONGBE`, `LANGUE YOR`, `LANGUE YORUBA`.
 */
export function parseCommand(text: string): Command {
  const words = text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').trim().toUpperCase().split(/\s+/).filter(Boolean);
  const [keyword, argument] = words;
  switch (keyword) {
    case 'STATUT':
    case 'STATUS':
    case 'SUIVI':
      return /^PS\d{5}-?\d{6}$/.test(argument ?? '') ? { kind: 'status', requestNumber: argument!.replace(/^(PS\d{5})-?/, '$1-'), english: keyword === 'STATUS' } : { kind: 'help', english: keyword === 'STATUS' };
    case 'AIDE':
    case 'HELP':
    case 'START':
      return { kind: 'help', english: keyword !== 'AIDE' };
    case 'QUI':
    case 'WHO':
      return { kind: 'access', english: keyword === 'WHO' };
    case 'STOP':
    case 'ARRET':
      return { kind: 'stop' };
    case 'LANGUE':
    case 'LANGUAGE':
    case 'LANG': {
      const language = argument === undefined ? undefined : languageFromKeyword(argument);
      return language ? { kind: 'language', language } : { kind: 'help', english: keyword !== 'LANGUE' };
    }
    default:
      return { kind: 'unknown' };
  }
}

/**
 * Answers an SMS sent to the service, by SMS, under the same privacy rule as USSD: a status is
 * told only to the phone number the request was filed with.
 */
export async function handleInboundSms(deps: InboundDeps, sms: InboundSms): Promise<void> {
  const number = normalizeMsisdn(sms.from);
  if (!number.ok) {
    deps.logger.info({ route: sms.route }, 'inbound SMS from a non-Benin number ignored');
    return;
  }
  const from = number.e164;
  let replyKey = `reply:${sms.route}:${sms.id}`;
  if (sms.redeliveryWindowSeconds) {
    if (deps.claims && !(await deps.claims.claimOnce(`inbound:${sms.route}:${sms.id}`, sms.redeliveryWindowSeconds))) {
      deps.logger.info({ route: sms.route, from: maskMsisdn(from) }, 'inbound SMS redelivered: already answered');
      return;
    }
    // The claim made it new: the same words after the window are a new question, answered anew.
    replyKey += `:${Date.now()}`;
  }
  // Before the keywords: "4" means something only to a number with a survey pending; otherwise
  // it falls through to them (and gets "commande inconnue").
  if (deps.surveys && (await deps.surveys.answerSms({ from, text: sms.text, route: sms.route, ...(sms.to ? { to: sms.to } : {}), replyKey }))) return;
  const command = parseCommand(sms.text);
  const stored = await deps.preferences.getLanguage(from);
  let language: Language = isLanguage(stored) ? stored : 'fr';
  if (!stored && 'english' in command && command.english) language = 'en';

  let template: TemplateName;
  let params: Record<string, string | number> = {};
  // Set by the replies that are not agency templates (QUI).
  let text: string | undefined;
  const call = async (service: string, args: Record<string, string>): Promise<ServiceOutcome> => {
    const handler = deps.services[service];
    const failed: ServiceOutcome = { outcome: 'error' };
    if (!handler) return failed;
    const deadline = startDeadline(10_000);
    try {
      return await handler(args, { msisdn: from, language, signal: deadline.signal, channel: 'sms' }).catch(() => failed);
    } finally {
      deadline.clear();
    }
  };
  switch (command.kind) {
    case 'status': {
      params = { requestNumber: command.requestNumber };
      const outcome = await call('portal.requestStatus', { requestNumber: command.requestNumber });
      if (outcome.outcome === 'ok') {
        const status = String(outcome.values?.status ?? '') as RequestStatus;
        template = 'request_status';
        params = { ...params, status: statusLabel(status, language) ?? status, updatedAt: String(outcome.values?.updatedAt ?? '') };
      } else template = outcome.outcome === 'not_found' ? 'not_found' : 'unavailable';
      break;
    }
    case 'access': {
      // The sender's own number's log: the holder rule by construction (no argument to name another).
      const outcome = await call('accessLog.recent', {});
      template = 'unavailable';
      if (outcome.outcome === 'ok') text = renderAccessLogSms('access_log', language, { entries: String(outcome.values?.entries ?? '') });
      else if (outcome.outcome === 'none') text = renderAccessLogSms('access_log_empty', language, {});
      break;
    }
    case 'help':
      // HELP also lifts an earlier STOP: the citizen is asking to hear from us.
      await deps.preferences.setOptedOut(from, false);
      template = 'help';
      break;
    case 'stop':
      await deps.preferences.setOptedOut(from, true);
      template = 'stopped';
      break;
    case 'language':
      await deps.preferences.setLanguage(from, command.language);
      language = command.language;
      template = 'language_set';
      break;
    default:
      template = 'unknown_command';
  }
  await deps.outbox.enqueue({
    to: from,
    text: text ?? renderSms(template, language, params),
    idempotencyKey: replyKey,
    purpose: 'reply',
    // Back the way it came, from the short code the citizen texted.
    viaRoute: sms.route,
    ...(sms.to ? { from: sms.to } : {}),
  });
  deps.logger.info({ route: sms.route, from: maskMsisdn(from), command: command.kind }, 'inbound SMS answered');
}
