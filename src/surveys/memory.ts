import {
  checkTiming,
  compareRows,
  resultRow,
  type OfferOutcome,
  type PendingSurvey,
  type SurveyChannel,
  type SurveyReplyContent,
  type SurveyResultRow,
  type SurveyStore,
  type SurveyTiming,
} from './port.js';

/** The embedded default: one process's memory; expiry read against `now` (injectable for tests). */
export class MemorySurveyStore implements SurveyStore {
  private readonly pending = new Map<string, { survey: PendingSurvey; until: number }>();
  private readonly markers = new Map<string, { offerKey: string; until: number }>();
  /** An answer given with a word window: until when its word may come. */
  private readonly wordsDue = new Map<string, number>();
  /** month → `agency|service|ccsp` → rating or `w:<word>` → count. */
  private readonly tallies = new Map<string, Map<string, Map<string, number>>>();

  constructor(private readonly now: () => number = Date.now) {}

  async offer(numberKey: string, offerKey: string, survey: PendingSurvey, timing: SurveyTiming): Promise<OfferOutcome> {
    checkTiming(timing);
    const at = this.now();
    const marker = this.markers.get(numberKey);
    if (marker && marker.until > at) return marker.offerKey === offerKey ? { outcome: 'offered', replay: true } : { outcome: 'recent' };
    this.markers.set(numberKey, { offerKey, until: at + timing.quietMs });
    this.pending.set(numberKey, { survey: { ...survey }, until: at + timing.pendingTtlMs });
    this.sweep(at);
    return { outcome: 'offered', replay: false };
  }

  async peek(numberKey: string, channel: SurveyChannel): Promise<PendingSurvey | null> {
    const entry = this.pending.get(numberKey);
    return entry && entry.until > this.now() && entry.survey.channel === channel ? { ...entry.survey } : null;
  }

  async answer(numberKey: string, channel: SurveyChannel, reply: SurveyReplyContent, options: { wordWindowMs?: number } = {}): Promise<PendingSurvey | null> {
    // Taken and counted in one synchronous stretch: no other answer can run in between, and
    // nothing here can fail half-way.
    const at = this.now();
    const entry = this.pending.get(numberKey);
    if (!entry || entry.until <= at || entry.survey.channel !== channel) return null;
    this.pending.delete(numberKey);
    const { survey } = entry;
    this.bump(survey, String(reply.rating));
    if (reply.word) this.bump(survey, `w:${reply.word}`);
    else if (options.wordWindowMs) this.wordsDue.set(numberKey, at + options.wordWindowMs);
    return { ...survey };
  }

  async addWord(numberKey: string, answered: PendingSurvey, word: string): Promise<boolean> {
    const due = this.wordsDue.get(numberKey);
    this.wordsDue.delete(numberKey);
    if (due === undefined || due <= this.now()) return false;
    this.bump(answered, `w:${word}`);
    return true;
  }

  async results(month: string): Promise<SurveyResultRow[]> {
    const rows: SurveyResultRow[] = [];
    for (const [rowKey, counters] of this.tallies.get(month) ?? []) {
      const [agency, service, ccsp] = JSON.parse(rowKey) as [string, string, string];
      const ratings = new Map<number, number>();
      const words: Record<string, number> = {};
      for (const [field, count] of counters) {
        if (field.startsWith('w:')) words[field.slice(2)] = count;
        else ratings.set(Number(field), count);
      }
      rows.push(resultRow(month, agency, service, ccsp, ratings, words));
    }
    return rows.sort(compareRows);
  }

  private bump(survey: PendingSurvey, field: string): void {
    const row = JSON.stringify([survey.agency, survey.service, survey.ccsp]);
    let byRow = this.tallies.get(survey.month);
    if (!byRow) this.tallies.set(survey.month, (byRow = new Map()));
    let counters = byRow.get(row);
    if (!counters) byRow.set(row, (counters = new Map()));
    counters.set(field, (counters.get(field) ?? 0) + 1);
  }

  /** Forgets expired entries, so the maps stay as large as the week's surveys. */
  private sweep(at: number): void {
    for (const [key, entry] of this.pending) if (entry.until <= at) this.pending.delete(key);
    for (const [key, entry] of this.markers) if (entry.until <= at) this.markers.delete(key);
    for (const [key, until] of this.wordsDue) if (until <= at) this.wordsDue.delete(key);
  }
}
