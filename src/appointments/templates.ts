import type { Language } from '../engine/schema.js';

/**
 * The SMS an appointment sends, per language (French when a text is missing). Written with their
 * accents: the dispatcher rewrites them in GSM-7 (`SMS_TRANSLITERATE`), one segment where it can.
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
  },
  moved: {
    fr: 'Rendez-vous déplacé: {centre} ({place}), {day} à {time}. Code {code}. Venez avec votre NPI.',
    en: 'Appointment moved: {centre} ({place}), {day} at {time}. Code {code}. Bring your NPI.',
  },
  cancelled: {
    fr: 'Votre rendez-vous du {day} à {time} au {centre} est annulé. Nouveau rendez-vous: {manage}',
    en: 'Your appointment on {day} at {time} at {centre} is cancelled. New appointment: {manage}',
  },
  reminder: {
    fr: 'Rappel: rendez-vous demain {day} à {time}, {centre} ({place}). Code {code}. Empêché? Annulez: {manage}',
    en: 'Reminder: appointment tomorrow {day} at {time}, {centre} ({place}). Code {code}. Cannot come? Cancel: {manage}',
  },
};

export function appointmentSms(kind: AppointmentSms, language: Language, values: AppointmentSmsValues): string {
  const template = TEXTS[kind][language] ?? TEXTS[kind].fr;
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => values[name as keyof AppointmentSmsValues] ?? '');
}
