import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ensureSubscription, MadapiError, type SubscriptionLedger, type SubscriptionRecord } from '../../providers/mtn-madapi/subscription.js';

/** The swagger's host and basePath (api-evangelist/mtn-group `openapi/_original/mtn-group-ussd.yml`). */
const DEFAULT_BASE_URL = 'https://api.mtn.com/v1';
const DEFAULT_LEDGER = 'madapi-subscriptions.json';

const Ledger = z.array(
  z.object({ serviceCode: z.string(), callbackUrl: z.string(), targetSystem: z.string(), subscriptionId: z.string().nullable(), subscribedAt: z.string() }),
);

/** The subscriptions this installation made, in a JSON file written atomically (temp file + rename). */
export function fileLedger(path: string): SubscriptionLedger {
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      const parsed = Ledger.safeParse(JSON.parse(text));
      if (!parsed.success) throw new Error(`${path}: not a MADAPI subscription ledger`);
      return parsed.data;
    },
    async save(records: SubscriptionRecord[]) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(`${path}.tmp`, JSON.stringify(records, null, 2) + '\n');
      await rename(`${path}.tmp`, path);
    },
  };
}

export class MadapiUsageError extends Error {}

/**
 * `guichet madapi subscribe --service-code '*123#' --callback-url https://…/ussd/mtn-madapi
 * [--target-system GUICHET] [--ledger FILE]`, with `MADAPI_API_KEY` (and `MADAPI_BASE_URL`) from
 * the environment. Exit 0 subscribed (or already), 1 refused by MADAPI.
 */
export async function madapiSubscribe(args: string[], out: (line: string) => void, env: Readonly<Record<string, string | undefined>> = process.env): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { 'service-code': { type: 'string' }, 'callback-url': { type: 'string' }, 'target-system': { type: 'string' }, ledger: { type: 'string' } },
  });
  const serviceCode = values['service-code'];
  const callbackUrl = values['callback-url'];
  if (!serviceCode || !/^\*[\d*]+#$/.test(serviceCode)) throw new MadapiUsageError('--service-code wants a short code such as *123#');
  if (!callbackUrl || !URL.canParse(callbackUrl) || !/^https?:$/.test(new URL(callbackUrl).protocol)) throw new MadapiUsageError('--callback-url wants an http(s) URL');
  const apiKey = env.MADAPI_API_KEY;
  if (!apiKey) throw new MadapiUsageError('MADAPI_API_KEY is not set (the x-api-key MTN issued)');
  const baseUrl = env.MADAPI_BASE_URL ?? DEFAULT_BASE_URL;
  try {
    const outcome = await ensureSubscription(
      { baseUrl, apiKey },
      { serviceCode, callbackUrl, targetSystem: values['target-system'] ?? 'GUICHET' },
      fileLedger(values.ledger ?? DEFAULT_LEDGER),
    );
    const id = outcome.record.subscriptionId ?? 'id not given by MADAPI';
    if (outcome.action === 'unchanged') out(`${serviceCode} already subscribed to ${callbackUrl} (${id}): nothing sent`);
    else if (outcome.action === 'already_at_madapi') out(`${serviceCode}: MADAPI already holds a subscription (409); recorded`);
    else out(`${serviceCode} subscribed to ${callbackUrl} (${id})${outcome.replaced ? `, replacing ${outcome.replaced.callbackUrl}` : ''}`);
    return 0;
  } catch (error) {
    if (error instanceof MadapiError) {
      out(error.message);
      return 1;
    }
    throw error;
  }
}
