import { translated, gsm7SpellingOf, LANGUAGE_INFO, type Language, type Translations } from '../engine/languages.js';
import { measureText, transliterateToGsm7 } from '../lib/gsm7.js';
import type { RequestStatus } from '../portal/port.js';

/**
 * What Guichet says by SMS, per language. Kept short and in GSM-7 where French allows it, so a
 * notification is one segment: a rural citizen may pay for what we send them to read.
 *
 * Fon (`fon`) and Yoruba (`yor`) texts are DRAFTS written for the gateway, to be reviewed by native
 * speakers (README "National languages"); they are written in their own letters and sent in the
 * language's GSM-7 spelling when that saves a segment (`renderSms`). A template without one falls
 * back to French.
 */
export const SMS_TEMPLATES = {
  request_ready: {
    fr: 'Service Public: votre demande {{requestNumber}} ({{service}}) est disponible. Retrait: {{collectAt}}.',
    en: 'Public Service: your request {{requestNumber}} ({{service}}) is ready. Collect at: {{collectAt}}.',
    fon: 'Azɔ̌ Gbɛtɔ́: nǔ e a byɔ́ {{requestNumber}} ({{service}}) ɔ́ ko ɖò gbɛ̀. Yì yí i ɖò: {{collectAt}}.',
    yor: 'Iṣẹ́ Ìjọba: ìbéèrè rẹ {{requestNumber}} ({{service}}) ti ṣetán. Gbà á ní: {{collectAt}}.',
  },
  request_status: {
    fr: 'Service Public: demande {{requestNumber}}: {{status}} le {{updatedAt}}.',
    en: 'Public Service: request {{requestNumber}}: {{status}} on {{updatedAt}}.',
    fon: 'Azɔ̌ Gbɛtɔ́: nǔ e a byɔ́ {{requestNumber}}: {{status}} ({{updatedAt}}).',
    yor: 'Iṣẹ́ Ìjọba: ìbéèrè {{requestNumber}}: {{status}} ní {{updatedAt}}.',
  },
  fee_due: {
    fr: 'Service Public: frais de {{amountXof}} FCFA dus pour la demande {{requestNumber}}. Payez au *123#.',
    en: 'Public Service: a fee of {{amountXof}} XOF is due for request {{requestNumber}}. Pay on *123#.',
    fon: 'Azɔ̌ Gbɛtɔ́: a ɖó na sú {{amountXof}} FCFA nú nǔ e a byɔ́ {{requestNumber}}. Sú ɖò *123#.',
    yor: 'Iṣẹ́ Ìjọba: o ní láti san {{amountXof}} FCFA fún ìbéèrè {{requestNumber}}. San ní *123#.',
  },
  not_found: {
    fr: "Service Public: aucune demande {{requestNumber}} n'est liée à ce numéro.",
    en: 'Public Service: no request {{requestNumber}} is linked to this number.',
    fon: 'Azɔ̌ Gbɛtɔ́: nǔ e a byɔ́ {{requestNumber}} ɖě ma ɖò nɔ́mbà elɔ jí ǎ.',
    yor: 'Iṣẹ́ Ìjọba: kò sí ìbéèrè {{requestNumber}} lórí nọ́mbà yìí.',
  },
  help: {
    fr: 'Service Public: STATUT <numero> pour suivre une demande, LANGUE EN, FON ou YORUBA pour changer de langue, STOP pour ne plus recevoir de SMS. Menu: *123#',
    en: 'Public Service: STATUS <number> to track a request, LANGUE FR, FON or YORUBA to change language, STOP to receive no more SMS. Menu: *123#',
    fon: 'Azɔ̌ Gbɛtɔ́: STATUT <nɔ́mbà> bo kpɔ́n nǔ e a byɔ́, LANGUE FR nú Flansegbè, STOP bo ma mɔ SMS ǎ. Menu: *123#',
    yor: 'Iṣẹ́ Ìjọba: STATUT <nọ́mbà> láti tọpa ìbéèrè, LANGUE FR fún Faransé, STOP láti dá SMS dúró. Menu: *123#',
  },
  stopped: {
    fr: 'Service Public: vous ne recevrez plus de notifications. Envoyez AIDE pour reactiver.',
    en: 'Public Service: you will receive no more notifications. Send HELP to opt back in.',
    fon: 'Azɔ̌ Gbɛtɔ́: a na sɔ mɔ wĕn ɖě ǎ. Sɛ́ AIDE bo bɛ́ ɖò jí.',
    yor: 'Iṣẹ́ Ìjọba: o kò ní gba ìkéde mọ́. Fi AIDE ránṣẹ́ láti tún bẹ̀rẹ̀.',
  },
  language_set: {
    fr: 'Service Public: vos messages seront en francais.',
    en: 'Public Service: your messages will be in English.',
    fon: 'Azɔ̌ Gbɛtɔ́: wĕn towe lɛ na ɖò Fɔngbè.',
    yor: 'Iṣẹ́ Ìjọba: àwọn ìfiránṣẹ́ rẹ yóò wà ní Yorùbá.',
  },
  unknown_command: {
    fr: 'Service Public: commande inconnue. Envoyez AIDE pour la liste des commandes.',
    en: 'Public Service: unknown command. Send HELP for the list of commands.',
    fon: 'Azɔ̌ Gbɛtɔ́: a ma mɔ gbè elɔ ǎ. Sɛ́ AIDE bo mɔ gbè lɛ.',
    yor: 'Iṣẹ́ Ìjọba: a kò mọ àṣẹ yìí. Fi AIDE ránṣẹ́ fún àwọn àṣẹ.',
  },
  /** Sent by the ministry (MTFP) when an act is signed for an agent: what, when, where to read more. */
  career_act: {
    fr: 'Carriere: un nouvel acte vous concernant ({{act}}) a ete signe le {{date}}. Details au *123*7#.',
    en: 'Career: a new act concerning you ({{act}}) was signed on {{date}}. Details on *123*7#.',
    fon: 'Azɔ̌: è wlan alɔ wěma yɔyɔ̌ ɖé ({{act}}) nú we ɖò {{date}}. Kpɔ́n ɖò *123*7#.',
    yor: 'Iṣẹ́: a fọwọ́ sí ìwé tuntun kan fún ọ ({{act}}) ní {{date}}. Wò ó ní *123*7#.',
  },
  unavailable: {
    fr: 'Service Public: service momentanement indisponible. Reessayez plus tard.',
    en: 'Public Service: service temporarily unavailable. Please try again later.',
    fon: 'Azɔ̌ Gbɛtɔ́: azɔ̌ ɔ ma ɖò gbɛ̀ dìn ǎ. Vɔ́ tɛ́n kpɔ́n ɖò godo.',
    yor: 'Iṣẹ́ Ìjọba: iṣẹ́ kò sí fún ìgbà díẹ̀. Jọ̀wọ́ gbìyànjú lẹ́yìn náà.',
  },
} as const satisfies Record<string, Translations<string>>;

export type TemplateName = keyof typeof SMS_TEMPLATES;
export const TEMPLATE_NAMES = Object.keys(SMS_TEMPLATES) as [TemplateName, ...TemplateName[]];

export const STATUS_LABELS: Record<RequestStatus, Translations<string>> = {
  submitted: { fr: 'soumise', en: 'submitted', fon: 'é sɛ́', yor: 'a ti fi ránṣẹ́' },
  under_review: { fr: "en cours d'examen", en: 'under review', fon: 'è ɖò gbéjé kpɔ́n wɛ', yor: 'à ń yẹ̀ ẹ́ wò' },
  info_requested: { fr: 'complement demande', en: 'more information needed', fon: 'è byɔ́ nǔ ɖěvo', yor: 'a nílò àlàyé sí i' },
  ready: { fr: 'disponible', en: 'ready', fon: 'é ɖò gbɛ̀', yor: 'ó ti ṣetán' },
  rejected: { fr: 'rejetee', en: 'rejected', fon: 'è gbɛ́', yor: 'a kọ̀ ọ́' },
};

/** A status in a language, French where the language has no word for it yet. */
export function statusLabel(status: RequestStatus, language: Language): string | undefined {
  const labels = STATUS_LABELS[status];
  return labels ? translated(labels, language) : undefined;
}

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
    fon: 'Akwɛ́ ɔ́ wá: {{amountXof}} FCFA nú nǔ e a byɔ́ {{requestNumber}}. Ref {{reference}}, transaction {{providerTransactionId}}.',
    yor: 'A ti gba owó: {{amountXof}} FCFA fún ìbéèrè {{requestNumber}}. Ref {{reference}}, transaction {{providerTransactionId}}.',
  },
  payment_failed: {
    fr: 'Paiement non abouti pour la demande {{requestNumber}} (ref {{reference}}). Aucun montant preleve. Recomposez *123# pour reessayer.',
    en: 'Payment not completed for request {{requestNumber}} (ref {{reference}}). Nothing was charged. Dial *123# again to retry.',
    fon: 'Akwɛ́ súsú ɔ́ ma yì ǎ nú nǔ e a byɔ́ {{requestNumber}} (ref {{reference}}). È ma yí akwɛ́ ɖě ǎ. Zìn *123# bo vɔ́ tɛ́n kpɔ́n.',
    yor: 'Ìsanwó kò parí fún ìbéèrè {{requestNumber}} (ref {{reference}}). A kò gba owó kankan. Tẹ *123# láti tún gbìyànjú.',
  },
} as const satisfies Record<string, Translations<string>>;

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
    fon: 'Azɔ̌ Gbɛtɔ́: mɛ e kpɔ́n nǔbyɔ́ towe lɛ gudo tɔn:\n{{entries}}',
    yor: 'Iṣẹ́ Ìjọba: àwọn tó wo ìbéèrè rẹ kẹ́yìn:\n{{entries}}',
  },
  access_log_empty: {
    fr: 'Service Public: aucune consultation de vos demandes enregistree pour ce numero.',
    en: 'Public Service: no lookup of your requests recorded for this number.',
    fon: 'Azɔ̌ Gbɛtɔ́: mɛ ɖě ma kpɔ́n nǔbyɔ́ towe lɛ ɖò nɔ́mbà elɔ jí ǎ.',
    yor: 'Iṣẹ́ Ìjọba: kò sí ẹni tó wo ìbéèrè rẹ lórí nọ́mbà yìí.',
  },
} as const satisfies Record<string, Translations<string>>;

export type AccessLogTemplateName = keyof typeof ACCESS_LOG_SMS_TEMPLATES;

export function renderAccessLogSms(template: AccessLogTemplateName, language: Language, params: SmsParams): string {
  return smsSpelling(language, fill(translated<string>(ACCESS_LOG_SMS_TEMPLATES[template], language), params));
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
    fon: 'Guichet Azɔ̌: kɔ́dù towe wɛ nyí {{code}}. É na nɔ te {{minutes}} min. Ma ɖɔ nú mɛ ɖě ǎ.',
    yor: 'Guichet Iṣẹ́: kóòdù ìjẹ́rìísí rẹ ni {{code}}. Ó wà fún ìṣẹ́jú {{minutes}}. Má fi han ẹnikẹ́ni.',
  },
  /** To the number a matricule was enrolled on, when another number proved it and took it over. */
  career_moved: {
    fr: 'Guichet Carriere: votre dossier est relie a un autre numero depuis le {{date}}. Si ce n\'est pas vous, composez *123*7# et prevenez votre DRH.',
    en: 'Guichet Career: your career file is linked to another number since {{date}}. If this was not you, dial *123*7# and tell your HR office.',
    fon: 'Guichet Azɔ̌: azɔ̌ towe sín wemà ɖò nɔ́mbà ɖevo jí sín {{date}}. Enyi a wɛ ǎ ɔ, zín *123*7# bo ɖɔ nú DRH towe.',
    yor: 'Guichet Iṣẹ́: fáìlì iṣẹ́ rẹ ti so mọ́ nọ́mbà mìíràn láti {{date}}. Tí kì í bá ṣe ìwọ, tẹ *123*7# kí o sì sọ fún DRH rẹ.',
  },
} as const satisfies Record<string, Translations<string>>;

type SmsParams = Readonly<Record<string, string | number>>;

function fill(text: string, params: SmsParams): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_m, name: string) => String(params[name] ?? ''));
}

/** UCS-2 text of one segment; past it, a language's GSM-7 spelling is worth the lost letters. */
const UCS2_SINGLE_SEGMENT = 70;

/**
 * A text as sent in a language: in its own letters when that is one SMS, else in its GSM-7
 * spelling (Fon, Yoruba: ɛ→e, ọ→o, tone marks dropped), which holds 160 characters per segment.
 */
export function smsSpelling(language: Language, text: string): string {
  if (!LANGUAGE_INFO[language].gsm7) return text;
  const measure = measureText(text);
  if (measure.encoding === 'GSM-7' || measure.units <= UCS2_SINGLE_SEGMENT) return text;
  return transliterateToGsm7(gsm7SpellingOf(language, text));
}

export function renderSms(template: TemplateName, language: Language, params: SmsParams): string {
  return smsSpelling(language, fill(translated<string>(SMS_TEMPLATES[template], language), params));
}

export function renderPaymentSms(template: PaymentTemplateName, language: Language, params: SmsParams): string {
  return smsSpelling(language, fill(translated<string>(PAYMENT_SMS_TEMPLATES[template], language), params));
}

export function renderCareerSms(template: keyof typeof CAREER_SMS_TEMPLATES, language: Language, params: SmsParams): string {
  return smsSpelling(language, fill(translated<string>(CAREER_SMS_TEMPLATES[template], language), params));
}
