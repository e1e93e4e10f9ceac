import type { Cluster, Redis } from 'ioredis';
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

/**
 * Surveys in Redis, shared by every instance.
 *
 * Two hash tags, so that every script stays in one Redis Cluster slot:
 * - the number's (`week:{h}`): the week's marker, which also holds the survey asked (service,
 *   agency, CCSP, month, channel) and the offer's key;
 * - the month's (`results:{2026-12}:…`, `tokens:{2026-12}:…`): the month's tallies and, beside them, the tokens that say a
 *   survey of that month still waits for its answer (`open`), was answered (`answered`, so a
 *   replayed offer does not ask again) or may still get its word (`word`).
 * So an answer is taken and counted by one script on the month's slot: nothing can come between
 * the two, and the marker is only read.
 */
const OFFER = `
local marker = redis.call('GET', KEYS[1])
if marker then
  local ok, held = pcall(cjson.decode, marker)
  if ok and type(held) == 'table' and held.k == ARGV[1] then return marker end
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`;

/** Opens the survey's token, unless this very offer was answered already (a replay after the answer). */
const OPEN = `
if redis.call('GET', KEYS[2]) == ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
return 1
`;

/**
 * Takes the token and counts the answer, in that one script. Redis does not undo a script's
 * writes when one of its commands fails, so the only commands that can fail (on a key of the wrong
 * type) are ruled out before the first write: the survey then still waits, nothing half counted.
 */
const ANSWER = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local rows = redis.call('TYPE', KEYS[3]).ok
local index = redis.call('TYPE', KEYS[4]).ok
if (rows ~= 'none' and rows ~= 'hash') or (index ~= 'none' and index ~= 'set') then
  return redis.error_reply('WRONGTYPE survey tallies are not a hash and a set')
end
redis.call('SADD', KEYS[4], ARGV[4])
redis.call('HINCRBY', KEYS[3], ARGV[2], 1)
if ARGV[3] ~= '' then redis.call('HINCRBY', KEYS[3], ARGV[3], 1) end
redis.call('EXPIRE', KEYS[3], ARGV[5])
redis.call('EXPIRE', KEYS[4], ARGV[5])
redis.call('SET', KEYS[2], ARGV[1], 'PXAT', ARGV[6])
if ARGV[7] ~= '0' then redis.call('SET', KEYS[5], ARGV[1], 'PX', ARGV[7]) end
redis.call('DEL', KEYS[1])
return 1
`;

/** Counts the word of an answer whose word token is still there, and spends the token. */
const WORD = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('DEL', KEYS[1])
return 1
`;

/** Results are kept a little over a year, for the year-on-year comparison of the same month. */
const RESULTS_TTL_SECONDS = 400 * 24 * 3600;

/** What the week's marker holds: the offer's key, the survey asked, until when it waits and until when the week lasts (ms since the epoch). */
interface Marker {
  k: string;
  p: PendingSurvey;
  e: number;
  q: number;
}

type RedisWithSurveys = (Redis | Cluster) & {
  guichetSurveyOffer(marker: string, offerKey: string, markerValue: string, quietMs: number): Promise<number | string>;
  guichetSurveyOpen(open: string, answered: string, offerKey: string, untilMs: number): Promise<number>;
  guichetSurveyAnswer(open: string, answered: string, rows: string, index: string, word: string, offerKey: string, ratingField: string, wordField: string, indexMember: string, ttlSeconds: number, answeredUntilMs: number, wordWindowMs: number): Promise<number>;
  guichetSurveyWord(word: string, rows: string, field: string): Promise<number>;
};

export class RedisSurveyStore implements SurveyStore {
  private readonly redis: RedisWithSurveys;

  constructor(
    redis: Redis | Cluster,
    private readonly prefix = 'guichet:surveys:',
  ) {
    if (!('guichetSurveyOffer' in redis)) {
      redis.defineCommand('guichetSurveyOffer', { numberOfKeys: 1, lua: OFFER });
      redis.defineCommand('guichetSurveyOpen', { numberOfKeys: 2, lua: OPEN });
      redis.defineCommand('guichetSurveyAnswer', { numberOfKeys: 5, lua: ANSWER });
      redis.defineCommand('guichetSurveyWord', { numberOfKeys: 2, lua: WORD });
    }
    this.redis = redis as RedisWithSurveys;
  }

  async offer(numberKey: string, offerKey: string, survey: PendingSurvey, timing: SurveyTiming): Promise<OfferOutcome> {
    checkTiming(timing);
    const now = Date.now();
    const fresh: Marker = { k: offerKey, p: survey, e: now + timing.pendingTtlMs, q: now + timing.quietMs };
    const answer = await this.redis.guichetSurveyOffer(this.markerKey(numberKey), offerKey, JSON.stringify(fresh), timing.quietMs);
    if (answer === 0) return { outcome: 'recent' };
    // A replay opens the survey of the first offer (same month, same end): when that first offer
    // failed between its two writes, this is where its survey starts waiting; when it was
    // answered, or its time is over, nothing opens.
    const marker = answer === 1 ? fresh : parseMarker(String(answer));
    if (marker && marker.e > now) {
      await this.redis.guichetSurveyOpen(this.openKey(marker.p.month, numberKey), this.answeredKey(marker.p.month, numberKey), offerKey, marker.e);
    }
    return { outcome: 'offered', replay: answer !== 1 };
  }

  async peek(numberKey: string, channel: SurveyChannel): Promise<PendingSurvey | null> {
    const marker = await this.marker(numberKey, channel);
    if (!marker) return null;
    return (await this.redis.get(this.openKey(marker.p.month, numberKey))) === marker.k ? marker.p : null;
  }

  async answer(numberKey: string, channel: SurveyChannel, reply: SurveyReplyContent, options: { wordWindowMs?: number } = {}): Promise<PendingSurvey | null> {
    const marker = await this.marker(numberKey, channel);
    if (!marker) return null;
    const { month, agency, service, ccsp } = marker.p;
    const counted = await this.redis.guichetSurveyAnswer(
      this.openKey(month, numberKey),
      this.answeredKey(month, numberKey),
      this.rowsHashKey(month, agency, service),
      this.indexKey(month),
      this.wordKey(month, numberKey),
      marker.k,
      // field `<ccsp>|<rating>` or `<ccsp>|w|<word>`: CCSP ids carry no `|` (SURVEY_ID_PATTERN).
      `${ccsp}|${reply.rating}`,
      reply.word ? `${ccsp}|w|${reply.word}` : '',
      JSON.stringify([agency, service]),
      RESULTS_TTL_SECONDS,
      // The tombstone lasts as long as the week: a replay of the offer within it must not ask again.
      Math.max(marker.q, Date.now() + 1000),
      !reply.word && options.wordWindowMs ? options.wordWindowMs : 0,
    );
    return counted === 1 ? marker.p : null;
  }

  async addWord(numberKey: string, answered: PendingSurvey, word: string): Promise<boolean> {
    const { month, agency, service, ccsp } = answered;
    return (await this.redis.guichetSurveyWord(this.wordKey(month, numberKey), this.rowsHashKey(month, agency, service), `${ccsp}|w|${word}`)) === 1;
  }

  async results(month: string): Promise<SurveyResultRow[]> {
    const members = await this.redis.smembers(this.indexKey(month));
    const pairs = members.map((member) => JSON.parse(member) as [string, string]);
    const hashes = await Promise.all(pairs.map(([agency, service]) => this.redis.hgetall(this.rowsHashKey(month, agency, service))));
    const rows: SurveyResultRow[] = [];
    pairs.forEach(([agency, service], i) => {
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

  /** The number's marker, when it holds a survey of that channel. */
  private async marker(numberKey: string, channel: SurveyChannel): Promise<Marker | null> {
    const marker = parseMarker(await this.redis.get(this.markerKey(numberKey)));
    return marker && marker.p.channel === channel ? marker : null;
  }

  private markerKey(numberKey: string): string {
    return `${this.prefix}week:{${numberKey}}`;
  }

  private openKey(month: string, numberKey: string): string {
    return `${this.prefix}tokens:{${month}}:open:${numberKey}`;
  }

  private answeredKey(month: string, numberKey: string): string {
    return `${this.prefix}tokens:{${month}}:answered:${numberKey}`;
  }

  private wordKey(month: string, numberKey: string): string {
    return `${this.prefix}tokens:{${month}}:word:${numberKey}`;
  }

  private indexKey(month: string): string {
    return `${this.prefix}results:{${month}}:rows`;
  }

  private rowsHashKey(month: string, agency: string, service: string): string {
    return `${this.prefix}results:{${month}}:${agency}:${service}`;
  }
}

/**
 * A marker as this version writes it, or null: absent, or written before markers held their
 * survey (a bare offer key; its survey sat under `pending:{h}`, which this version no longer
 * reads: such a survey, at most one pending per number over the upgrade, is not counted).
 */
function parseMarker(raw: string | null): Marker | null {
  if (!raw || !raw.startsWith('{')) return null;
  try {
    const marker = JSON.parse(raw) as Partial<Marker>;
    return typeof marker.k === 'string' && marker.p && typeof marker.e === 'number' && typeof marker.q === 'number' ? (marker as Marker) : null;
  } catch {
    return null;
  }
}
