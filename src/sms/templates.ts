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

export function renderSms(template: TemplateName, language: Language, params: Readonly<Record<string, string | number>>): string {
  return SMS_TEMPLATES[template][language].replace(/\{\{(\w+)\}\}/g, (_m, name: string) => String(params[name] ?? ''));
}
