import type { Language } from '../engine/schema.js';
import type { RequestStatus } from '../portal/port.js';

/**
 * What Guichet says by SMS, per language. Kept short and in GSM-7 where French allows it, so a
 * notification is one segment: a rural citizen may pay for what we send them to read.
 */
export const SMS_TEMPLATES = {
  request_ready: {
    fr: 'Service Public: votre demande {{requestNumber}} ({{service}}) est disponible. Retrait: {{collectAt}}.',
    en: 'Public Service: your request {{requestNumber}} ({{service}}) is ready. Collect at: {{collectAt}}.',
  },
  request_status: {
    fr: 'Service Public: demande {{requestNumber}}: {{status}} le {{updatedAt}}.',
    en: 'Public Service: request {{requestNumber}}: {{status}} on {{updatedAt}}.',
  },
  fee_due: {
    fr: 'Service Public: frais de {{amountXof}} FCFA dus pour la demande {{requestNumber}}. Payez au *123#.',
    en: 'Public Service: a fee of {{amountXof}} XOF is due for request {{requestNumber}}. Pay on *123#.',
  },
  not_found: {
    fr: "Service Public: aucune demande {{requestNumber}} n'est liée à ce numéro.",
    en: 'Public Service: no request {{requestNumber}} is linked to this number.',
  },
  help: {
    fr: 'Service Public: STATUT <numero> pour suivre une demande, LANGUE EN pour l anglais, STOP pour ne plus recevoir de SMS. Menu: *123#',
    en: 'Public Service: STATUS <number> to track a request, LANGUE FR for French, STOP to receive no more SMS. Menu: *123#',
  },
  stopped: {
    fr: 'Service Public: vous ne recevrez plus de notifications. Envoyez AIDE pour reactiver.',
    en: 'Public Service: you will receive no more notifications. Send HELP to opt back in.',
  },
  language_set: { fr: 'Service Public: vos messages seront en francais.', en: 'Public Service: your messages will be in English.' },
  unknown_command: {
    fr: 'Service Public: commande inconnue. Envoyez AIDE pour la liste des commandes.',
    en: 'Public Service: unknown command. Send HELP for the list of commands.',
  },
  /** Sent by the ministry (MTFP) when an act is signed for an agent: what, when, where to read more. */
  career_act: {
    fr: 'Carriere: un nouvel acte vous concernant ({{act}}) a ete signe le {{date}}. Details au *123*7#.',
    en: 'Career: a new act concerning you ({{act}}) was signed on {{date}}. Details on *123*7#.',
  },
  unavailable: {
    fr: 'Service Public: service momentanement indisponible. Reessayez plus tard.',
    en: 'Public Service: service temporarily unavailable. Please try again later.',
  },
} as const satisfies Record<string, Record<Language, string>>;

export type TemplateName = keyof typeof SMS_TEMPLATES;
export const TEMPLATE_NAMES = Object.keys(SMS_TEMPLATES) as [TemplateName, ...TemplateName[]];

export const STATUS_LABELS: Record<RequestStatus, Record<Language, string>> = {
  submitted: { fr: 'soumise', en: 'submitted' },
  under_review: { fr: "en cours d'examen", en: 'under review' },
  info_requested: { fr: 'complement demande', en: 'more information needed' },
  ready: { fr: 'disponible', en: 'ready' },
  rejected: { fr: 'rejetee', en: 'rejected' },
};

/**
 * What the payment service says by SMS: the receipt of a payment that went through, and the notice
 * of one that did not. Apart from `SMS_TEMPLATES` on purpose: those are what an agency may send
 * through `POST /v1/notifications`, and no one but the payment service may tell a citizen that a
 * payment was received. Same rules: short, GSM-7, one segment with a long request number.
 */
export const PAYMENT_SMS_TEMPLATES = {
  payment_received: {
    fr: 'Paiement recu: {{amountXof}} FCFA pour la demande {{requestNumber}}. Ref {{reference}}, transaction {{providerTransactionId}}.',
    en: 'Payment received: {{amountXof}} XOF for request {{requestNumber}}. Ref {{reference}}, transaction {{providerTransactionId}}.',
  },
  payment_failed: {
    fr: 'Paiement non abouti pour la demande {{requestNumber}} (ref {{reference}}). Aucun montant preleve. Recomposez *123# pour reessayer.',
    en: 'Payment not completed for request {{requestNumber}} (ref {{reference}}). Nothing was charged. Dial *123# again to retry.',
  },
} as const satisfies Record<string, Record<Language, string>>;

export type PaymentTemplateName = keyof typeof PAYMENT_SMS_TEMPLATES;

/**
 * The answer to `QUI` / `WHO` (who looked at my file). Apart from `SMS_TEMPLATES` for the same
 * reason as the payment ones: no agency may tell a citizen who looked. GSM-7; five lookups take
 * two segments (`src/access-log/services.ts` formats them).
 */
export const ACCESS_LOG_SMS_TEMPLATES = {
  access_log: {
    fr: 'Service Public: dernieres consultations de vos demandes:\n{{entries}}',
    en: 'Public Service: latest lookups of your requests:\n{{entries}}',
  },
  access_log_empty: {
    fr: 'Service Public: aucune consultation de vos demandes enregistree pour ce numero.',
    en: 'Public Service: no lookup of your requests recorded for this number.',
  },
} as const satisfies Record<string, Record<Language, string>>;

export type AccessLogTemplateName = keyof typeof ACCESS_LOG_SMS_TEMPLATES;

export function renderAccessLogSms(template: AccessLogTemplateName, language: Language, params: SmsParams): string {
  return fill(ACCESS_LOG_SMS_TEMPLATES[template][language], params);
}

/**
 * The one-time code that confirms a career enrolment (`src/services/career-services.ts`). Apart
 * from `SMS_TEMPLATES` for the same reason as the payment texts: no agency may send a citizen a
 * text that looks like a Guichet code.
 */
export const CAREER_SMS_TEMPLATES = {
  career_code: {
    fr: 'Guichet Carriere: votre code de confirmation est {{code}}. Valable {{minutes}} min. Ne le communiquez a personne.',
    en: 'Guichet Career: your confirmation code is {{code}}. Valid for {{minutes}} min. Do not share it with anyone.',
  },
} as const satisfies Record<string, Record<Language, string>>;

type SmsParams = Readonly<Record<string, string | number>>;

function fill(text: string, params: SmsParams): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_m, name: string) => String(params[name] ?? ''));
}

export function renderSms(template: TemplateName, language: Language, params: SmsParams): string {
  return fill(SMS_TEMPLATES[template][language], params);
}

export function renderPaymentSms(template: PaymentTemplateName, language: Language, params: SmsParams): string {
  return fill(PAYMENT_SMS_TEMPLATES[template][language], params);
}

export function renderCareerSms(template: keyof typeof CAREER_SMS_TEMPLATES, language: Language, params: SmsParams): string {
  return fill(CAREER_SMS_TEMPLATES[template][language], params);
}
