import { XMLParser } from 'fast-xml-parser';
import { Hono } from 'hono';
import { MOOV_API_NS, MOOV_SOAP_NS, moovAnswer } from '../../providers/moov-money/fixtures.js';
import { html502, isNetworkMisbehaviour, isRecord, Misbehaviours, serveFake, type FakeOutcome, type NetworkMisbehaviour, paymentApiFake } from './primitives.js';

/** The path the fake serves its one SOAP endpoint on. */
export const FAKE_MOOV_ENDPOINT = '/merchant/api';

/** What the fake can do instead of answering normally: the shared network ones, and Moov's own. */
export type MoovMisbehaviour = NetworkMisbehaviour | 'http-500' | 'soap-fault' | 'html-502' | 'cut-off-200' | 'no-reference';

const MOOV_OPERATIONS = ['push', 'status'] as const;
type MoovOperation = (typeof MOOV_OPERATIONS)[number];

export interface FakeMoovTransaction {
  referenceid: string;
  fields: Record<string, unknown>;
  status: string;
  description: string;
}

/** Namespace-aware enough for the fake: prefixes are resolved through the envelope's declarations, as a SOAP stack does. */
const requestParser = new XMLParser({ ignoreAttributes: false, parseTagValue: false });

function readRequest(xml: string): { operation: string; fields: Record<string, unknown> } | null {
  let doc: unknown;
  try {
    doc = requestParser.parse(xml, true);
  } catch {
    return null;
  }
  if (!isRecord(doc)) return null;
  const rootKey = Object.keys(doc).find((k) => k.endsWith(':Envelope'));
  const root = rootKey ? doc[rootKey] : undefined;
  if (!rootKey || !isRecord(root)) return null;
  const prefixOf = (ns: string) => Object.entries(root).find(([k, v]) => k.startsWith('@_xmlns:') && v === ns)?.[0].slice('@_xmlns:'.length);
  const soap = prefixOf(MOOV_SOAP_NS);
  const api = prefixOf(MOOV_API_NS);
  if (!soap || !api || rootKey !== `${soap}:Envelope`) return null;
  const body = root[`${soap}:Body`];
  if (!isRecord(body)) return null;
  const operationKey = Object.keys(body).find((k) => !k.startsWith('@_'));
  if (!operationKey?.startsWith(`${api}:`)) return null;
  const fields = body[operationKey];
  return { operation: operationKey.slice(api.length + 1), fields: isRecord(fields) ? fields : {} };
}

const SOAP_FAULT =
  `<soap:Envelope xmlns:soap="${MOOV_SOAP_NS}"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode>` +
  `<faultstring>For input string: ""</faultstring><detail><ns1:Exception xmlns:ns1="${MOOV_API_NS}"/></detail></soap:Fault></soap:Body></soap:Envelope>`;
const CLIENT_FAULT =
  `<soap:Envelope xmlns:soap="${MOOV_SOAP_NS}"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode>` +
  `<faultstring>Couldn't create SOAP message due to exception</faultstring></soap:Fault></soap:Body></soap:Envelope>`;
const XML = { 'content-type': 'text/xml;charset=utf-8' };

/**
 * A local Moov merchant API: one SOAP endpoint answering in the shape of the community SDKs' samples
 * (`providers/moov-money/fixtures.ts`), transactions kept by reference id, misbehaviour on demand.
 * `expectedToken` is the token the merchant's credentials give (computed by the caller, independently).
 */
export async function startFakeMoov(expectedToken: string) {
  const calls = { push: 0, status: 0 };
  const transactions = new Map<string, FakeMoovTransaction>();
  const received: { operation: string; contentType?: string; soapAction?: string; fields: Record<string, unknown> }[] = [];
  const modes = new Misbehaviours<MoovOperation, MoovMisbehaviour>();
  /** What the next pushes are answered (and recorded) with instead of 100, pending. */
  const pushAnswer: { status: string; description: string } = { status: '100', description: 'Transaction en attente de validation' };
  let sequence = 0;

  function answer(operation: string, fields: Record<string, unknown>, misbehaviour?: MoovMisbehaviour): string | null {
    const wrapper = operation === 'PushWithPending' ? 'PushWithPending' : 'getTransactionStatus';
    if (fields.token !== expectedToken) return moovAnswer(wrapper, { description: 'Invalid Credentials', referenceid: '', status: '98' });
    if (operation === 'PushWithPending') {
      const referenceid = `72024103${String(++sequence).padStart(9, '0')}`;
      transactions.set(referenceid, { referenceid, fields, ...pushAnswer });
      return moovAnswer(wrapper, { ...pushAnswer, referenceid: misbehaviour === 'no-reference' ? '' : referenceid, transid: `MP${referenceid}` });
    }
    if (operation === 'getTransactionStatus') {
      const transid = isRecord(fields.request) ? String(fields.request.transid) : '';
      const found = transactions.get(transid);
      if (!found) return moovAnswer(wrapper, { description: 'Transaction does not exist', referenceid: transid, status: '94' });
      return moovAnswer(wrapper, { description: found.description, referenceid: found.referenceid, status: found.status });
    }
    return null;
  }

  const app = new Hono();
  app.post(FAKE_MOOV_ENDPOINT, async (c) => {
    const request = readRequest(await c.req.text());
    if (!request) return c.body(CLIENT_FAULT, 500, XML);
    received.push({ operation: request.operation, contentType: c.req.header('content-type'), soapAction: c.req.header('soapaction'), fields: request.fields });
    const isPush = request.operation === 'PushWithPending';
    if (isPush) calls.push += 1;
    else calls.status += 1;
    const operation: MoovOperation = isPush ? 'push' : 'status';
    const misbehaviour = modes.modeOf(operation);
    // The request is processed (the prompt pushed) before anything goes wrong with the answer.
    const body = answer(request.operation, request.fields, misbehaviour);
    if (body === null) return c.body(CLIENT_FAULT, 500, XML);
    if (isNetworkMisbehaviour(misbehaviour)) return modes.network(c, operation, () => c.body(body, 200, XML));
    switch (misbehaviour) {
      case 'http-500':
        return c.text('Internal Server Error', 500);
      case 'soap-fault':
        return c.body(SOAP_FAULT, 500, XML);
      case 'html-502':
        return html502();
      case 'cut-off-200':
        // A 200 whose SOAP answer stops halfway.
        return c.body(body.slice(0, body.indexOf('<result>') + 20), 200, XML);
      default:
        return c.body(body, 200, XML);
    }
  });
  const server = await serveFake(app, modes.held);

  function transactionOf(paymentId: string): FakeMoovTransaction {
    const found = [...transactions.values()].find((t) => t.fields.externaldata1 === paymentId);
    if (!found) throw new Error(`fake moov: no push for payment ${paymentId}`);
    return found;
  }

  const fake = paymentApiFake({
    baseUrl: `${server.baseUrl}${FAKE_MOOV_ENDPOINT}`,
    operations: MOOV_OPERATIONS,
    pushOperation: 'push',
    calls,
    transactions,
    received,
    pushAnswer,
    misbehave: modes.misbehave,
    release: modes.release,
    pushes: () => transactions.size,
    /** Moov's side of the story for one transaction: the subscriber answered the prompt (or not). */
    settleReference(referenceid: string, status: string, description: string) {
      const found = transactions.get(referenceid);
      if (!found) throw new Error(`fake moov: no transaction ${referenceid}`);
      Object.assign(found, { status, description });
    },
    settle(paymentId: string, outcome: FakeOutcome) {
      const found = transactionOf(paymentId);
      // Codes from v1p3r75/moov-money-api-php-sdk src/Common/data/status.php; 777 is in no list.
      const settled: Record<FakeOutcome['status'], [string, string] | null> = {
        succeeded: ['0', 'Transaction Completed'],
        failed: ['10', 'Funds is insufficient'],
        unknown: ['777', 'SOMETHING NEW'],
        refunded: null,
      };
      const code = settled[outcome.status];
      if (!code) throw new Error('fake moov: getTransactionStatus has no refunded status');
      if (outcome.status === 'succeeded' && (outcome.amountXof !== undefined || outcome.currency !== undefined)) {
        throw new Error('fake moov: getTransactionStatus reports no amount or currency');
      }
      Object.assign(found, { status: code[0], description: code[1] });
    },
    close: server.close,
  });
  return fake;
}

export type FakeMoov = Awaited<ReturnType<typeof startFakeMoov>>;
