import type { Language } from '../engine/schema.js';
import { smsSpelling } from '../sms/templates.js';

/**
 * The SMS an appointment sends, per language (French when a text is missing). Written with their
 * accents: the dispatcher rewrites them in GSM-7 (`SMS_TRANSLITERATE`), one segment where it can.
 * The Fon and Yoruba texts are DRAFTS (README "National languages"), written in their own letters
 * and sent in the language's GSM-7 spelling when they pass one UCS-2 segment (`smsSpelling`).
 */
export type AppointmentSms = 'booked' | 'moved' | 'cancelled' | 'reminder';

export interface AppointmentSmsValues {
  centre: string;
  place: string;
  day: string;
  time: string;
  code: string;
  /** The short code where the booking is managed (`*123*8#`). */
  manage: string;
}

const TEXTS: Record<AppointmentSms, Partial<Record<Language, string>> & { fr: string }> = {
  booked: {
    fr: 'Rendez-vous confirmé: {centre} ({place}), {day} à {time}. Code {code}. Venez avec votre NPI. Déplacer ou annuler: {manage}',
    en: 'Appointment confirmed: {centre} ({place}), {day} at {time}. Code {code}. Bring your NPI. Move or cancel: {manage}',
    fon: 'Kplékplé ɔ́ ɖò: {centre} ({place}), {day} ɖò {time}. Kɔ́dù {code}. Hɛn NPI towe wá. Ɖɔ̌ alǒ gbɛ́: {manage}',
    yor: 'Ìpàdé dájú: {centre} ({place}), {day} ní {time}. Kóòdù {code}. Mú NPI rẹ wá. Yí padà tàbí fagilé: {manage}',
  },
  moved: {
    fr: 'Rendez-vous déplacé: {centre} ({place}), {day} à {time}. Code {code}. Venez avec votre NPI.',
    en: 'Appointment moved: {centre} ({place}), {day} at {time}. Code {code}. Bring your NPI.',
    fon: 'Kplékplé ɔ́ ɖɔ̌: {centre} ({place}), {day} ɖò {time}. Kɔ́dù {code}. Hɛn NPI towe wá.',
    yor: 'Ìpàdé ti yí padà: {centre} ({place}), {day} ní {time}. Kóòdù {code}. Mú NPI rẹ wá.',
  },
  cancelled: {
    fr: 'Votre rendez-vous du {day} à {time} au {centre} est annulé. Nouveau rendez-vous: {manage}',
    en: 'Your appointment on {day} at {time} at {centre} is cancelled. New appointment: {manage}',
    fon: 'Kplékplé towe {day} ɖò {time} ɖò {centre} gbɛ́. Kplékplé yɔyɔ̌: {manage}',
    yor: 'A ti fagilé ìpàdé rẹ {day} ní {time} ní {centre}. Ìpàdé tuntun: {manage}',
  },
  reminder: {
    fr: 'Rappel: rendez-vous demain {day} à {time}, {centre} ({place}). Code {code}. Empêché? Annulez: {manage}',
    en: 'Reminder: appointment tomorrow {day} at {time}, {centre} ({place}). Code {code}. Cannot come? Cancel: {manage}',
    fon: 'Flín: kplékplé sɔ {day} ɖò {time}, {centre} ({place}). Kɔ́dù {code}. A sixu wá ǎ? Gbɛ́: {manage}',
    yor: 'Ìránnilétí: ìpàdé ọ̀la {day} ní {time}, {centre} ({place}). Kóòdù {code}. O kò lè wá? Fagilé: {manage}',
  },
};

export function appointmentSms(kind: AppointmentSms, language: Language, values: AppointmentSmsValues): string {
  const template = TEXTS[kind][language] ?? TEXTS[kind].fr;
  return smsSpelling(language, template.replace(/\{(\w+)\}/g, (_m, name: string) => values[name as keyof AppointmentSmsValues] ?? ''));
}
