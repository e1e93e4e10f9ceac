import { compareRows, resultRow, type OfferOutcome, type PendingSurvey, type SurveyAnswer, type SurveyResultRow, type SurveyStore, type SurveyTiming } from './port.js';

/** The embedded default: one process's memory; expiry read against `now` (injectable for tests). */
export class MemorySurveyStore implements SurveyStore {
  private readonly pending = new Map<string, { survey: PendingSurvey; until: number }>();
  private readonly markers = new Map<string, { offerKey: string; until: number }>();
  /** month → `agency|service|ccsp` → rating or `w:<word>` → count. */
  private readonly tallies = new Map<string, Map<string, Map<string, number>>>();

  constructor(private readonly now: () => number = Date.now) {}

  async offer(numberKey: string, offerKey: string, survey: PendingSurvey, timing: SurveyTiming): Promise<OfferOutcome> {
    const at = this.now();
    const marker = this.markers.get(numberKey);
    if (marker && marker.until > at) return marker.offerKey === offerKey ? { outcome: 'offered', replay: true } : { outcome: 'recent' };
    this.markers.set(numberKey, { offerKey, until: at + timing.quietMs });
    this.pending.set(numberKey, { survey: { ...survey }, until: at + timing.pendingTtlMs });
    this.sweep(at);
    return { outcome: 'offered', replay: false };
  }

  async peek(numberKey: string): Promise<PendingSurvey | null> {
    const entry = this.pending.get(numberKey);
    return entry && entry.until > this.now() ? { ...entry.survey } : null;
  }

  async take(numberKey: string): Promise<PendingSurvey | null> {
    // Read and removed in one synchronous stretch: no other answer can run in between.
    const entry = this.pending.get(numberKey);
    this.pending.delete(numberKey);
    return entry && entry.until > this.now() ? { ...entry.survey } : null;
  }

  async record(answer: SurveyAnswer): Promise<void> {
    const month = this.tallies.get(answer.month) ?? new Map<string, Map<string, number>>();
    this.tallies.set(answer.month, month);
    const rowKey = JSON.stringify([answer.agency, answer.service, answer.ccsp]);
    const counters = month.get(rowKey) ?? new Map<string, number>();
    month.set(rowKey, counters);
    const bump = (field: string) => counters.set(field, (counters.get(field) ?? 0) + 1);
    bump(String(answer.rating));
    if (answer.word) bump(`w:${answer.word}`);
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

  /** Forgets expired entries, so the maps stay as large as the week's surveys. */
  private sweep(at: number): void {
    for (const [key, entry] of this.pending) if (entry.until <= at) this.pending.delete(key);
    for (const [key, entry] of this.markers) if (entry.until <= at) this.markers.delete(key);
  }
}
