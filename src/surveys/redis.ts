import type { Cluster, Redis } from 'ioredis';
import { compareRows, resultRow, type OfferOutcome, type PendingSurvey, type SurveyAnswer, type SurveyResultRow, type SurveyStore, type SurveyTiming } from './port.js';

/**
 * Surveys in Redis, shared by every instance. A number's two keys share its hash's tag
 * (`week:{h}`, `pending:{h}`) and a month's keys the month's (`results:{2026-12}:…`), so each
 * script or MULTI stays in one Redis Cluster slot.
 */
const OFFER = `
local marker = redis.call('GET', KEYS[1])
if marker then
  if marker == ARGV[1] then return 2 end
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4])
return 1
`;

/** Results are kept a little over a year, for the year-on-year comparison of the same month. */
const RESULTS_TTL_SECONDS = 400 * 24 * 3600;

type RedisWithOffer = (Redis | Cluster) & { guichetSurveyOffer(marker: string, pending: string, offerKey: string, survey: string, quietMs: number, ttlMs: number): Promise<number> };

export class RedisSurveyStore implements SurveyStore {
  private readonly redis: RedisWithOffer;

  constructor(
    redis: Redis | Cluster,
    private readonly prefix = 'guichet:surveys:',
  ) {
    if (!('guichetSurveyOffer' in redis)) redis.defineCommand('guichetSurveyOffer', { numberOfKeys: 2, lua: OFFER });
    this.redis = redis as RedisWithOffer;
  }

  async offer(numberKey: string, offerKey: string, survey: PendingSurvey, timing: SurveyTiming): Promise<OfferOutcome> {
    const answer = await this.redis.guichetSurveyOffer(this.markerKey(numberKey), this.pendingKey(numberKey), offerKey, JSON.stringify(survey), timing.quietMs, timing.pendingTtlMs);
    if (answer === 0) return { outcome: 'recent' };
    return { outcome: 'offered', replay: answer === 2 };
  }

  async peek(numberKey: string): Promise<PendingSurvey | null> {
    return parsePending(await this.redis.get(this.pendingKey(numberKey)));
  }

  async take(numberKey: string): Promise<PendingSurvey | null> {
    // GETDEL: of two answers racing, one gets the survey, the other nothing.
    return parsePending(await this.redis.getdel(this.pendingKey(numberKey)));
  }

  async record(answer: SurveyAnswer): Promise<void> {
    const hash = this.rowsHashKey(answer.month, answer.agency, answer.service);
    const index = this.indexKey(answer.month);
    const multi = this.redis.multi().hincrby(hash, `${answer.ccsp}|${answer.rating}`, 1);
    if (answer.word) multi.hincrby(hash, `${answer.ccsp}|w|${answer.word}`, 1);
    multi.sadd(index, JSON.stringify([answer.agency, answer.service])).expire(hash, RESULTS_TTL_SECONDS).expire(index, RESULTS_TTL_SECONDS);
    const replies = await multi.exec();
    const failed = replies?.find(([error]) => error);
    if (!replies || failed) throw failed?.[0] ?? new Error('survey answer not recorded (transaction discarded)');
  }

  async results(month: string): Promise<SurveyResultRow[]> {
    const members = await this.redis.smembers(this.indexKey(month));
    const pairs = members.map((member) => JSON.parse(member) as [string, string]);
    const hashes = await Promise.all(pairs.map(([agency, service]) => this.redis.hgetall(this.rowsHashKey(month, agency, service))));
    const rows: SurveyResultRow[] = [];
    pairs.forEach(([agency, service], i) => {
      // field `<ccsp>|<rating>` or `<ccsp>|w|<word>`: CCSP ids carry no `|` (SURVEY_ID_PATTERN).
      const perCcsp = new Map<string, { ratings: Map<number, number>; words: Record<string, number> }>();
      for (const [field, value] of Object.entries(hashes[i] ?? {})) {
        const [ccsp, kind, word] = field.split('|') as [string, string, string | undefined];
        const entry = perCcsp.get(ccsp) ?? { ratings: new Map<number, number>(), words: {} };
        perCcsp.set(ccsp, entry);
        if (kind === 'w' && word) entry.words[word] = Number(value);
        else entry.ratings.set(Number(kind), Number(value));
      }
      for (const [ccsp, entry] of perCcsp) rows.push(resultRow(month, agency, service, ccsp, entry.ratings, entry.words));
    });
    return rows.sort(compareRows);
  }

  private markerKey(numberKey: string): string {
    return `${this.prefix}week:{${numberKey}}`;
  }

  private pendingKey(numberKey: string): string {
    return `${this.prefix}pending:{${numberKey}}`;
  }

  private indexKey(month: string): string {
    return `${this.prefix}results:{${month}}:rows`;
  }

  private rowsHashKey(month: string, agency: string, service: string): string {
    return `${this.prefix}results:{${month}}:${agency}:${service}`;
  }
}

function parsePending(raw: string | null): PendingSurvey | null {
  return raw ? (JSON.parse(raw) as PendingSurvey) : null;
}
