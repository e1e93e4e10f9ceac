import type { Hono } from 'hono';
import { SMSC_ADDRESSING } from '../providers/smpp-ussd/fixtures.js';
import { smppUssd } from '../providers/smpp-ussd/ussd.js';
import type { HopHandlerDeps } from '../src/channels/ussd/hop-handler.js';
import type { UssdProviderSettings } from '../src/channels/ussd/provider-settings.js';
import { serveUssdOverSmpp } from '../src/runtime/node/smpp/smpp-ussd-channel.js';
import { boundSmppLink } from './smsc.js';

/**
 * How each dialect's aggregator talks, for tests and benchmarks: build the raw request of a hop
 * and read the screen back from the raw answer. The wire shapes are the providers' own (see each
 * provider's `fixtures.ts`).
 */
export interface WireHop {
  sessionId: string;
  /** As the provider sends it (each has its own habit: with or without +). */
  msisdn: string;
  /** Opening hop: what the citizen dialled. Later hops: the latest input. */
  begin: boolean;
  dialled: string;
  input: string;
  /** Inputs so far including this one (cumulative dialects). */
  history: string[];
  sequence: number;
}

export interface WireDialect {
  name: string;
  /** Whether the opening request carries the whole dialled string (dial-through possible). */
  carriesDialString: boolean;
  request(hop: WireHop): { contentType: string; body: string };
  screen(body: string): { text: string; end: boolean };
}

const json = (value: unknown) => ({ contentType: 'application/json', body: JSON.stringify(value) });

export const WIRE_DIALECTS: WireDialect[] = [
  {
    name: 'africastalking',
    carriesDialString: false,
    request: (h) => ({
      contentType: 'application/x-www-form-urlencoded',
      body: new URLSearchParams({ sessionId: h.sessionId, serviceCode: h.dialled, phoneNumber: `+${h.msisdn}`, networkCode: '61602', text: h.history.join('*') }).toString(),
    }),
    screen: (body) => ({ text: body.slice(4), end: body.startsWith('END ') }),
  },
  {
    name: 'hubtel',
    carriesDialString: true,
    request: (h) =>
      // Lowercase `Type`, as Hubtel's own samples send it (providers/hubtel/fixtures.ts).
      json({ Type: h.begin ? 'initiation' : 'response', Mobile: h.msisdn, SessionId: h.sessionId, ServiceCode: '123', Message: h.begin ? h.dialled : h.input, Operator: 'mtn', Sequence: h.sequence, ClientState: '', Platform: 'USSD' }),
    screen: (body) => {
      const answer = JSON.parse(body) as { Type: string; Message: string };
      return { text: answer.Message, end: answer.Type === 'Release' };
    },
  },
  {
    name: 'nalo',
    carriesDialString: true,
    request: (h) => json({ USERID: 'NALOTest', MSISDN: h.msisdn, USERDATA: h.begin ? h.dialled : h.input, MSGTYPE: h.begin, NETWORK: 'MTN', SESSIONID: h.sessionId }),
    screen: (body) => {
      const answer = JSON.parse(body) as { MSG: string; MSGTYPE: boolean };
      return { text: answer.MSG, end: !answer.MSGTYPE };
    },
  },
  {
    name: 'arkesel',
    carriesDialString: true,
    request: (h) => json({ sessionID: h.sessionId, userID: 'ark-user', newSession: h.begin, msisdn: h.msisdn, userData: h.begin ? h.dialled : h.input, network: 'MTN' }),
    screen: (body) => {
      const answer = JSON.parse(body) as { message: string; continueSession: boolean };
      return { text: answer.message, end: !answer.continueSession };
    },
  },
  {
    name: 'mtn-madapi',
    carriesDialString: true,
    request: (h) =>
      json({ sessionId: h.sessionId, messageType: h.begin ? '0' : '1', msisdn: h.msisdn, serviceCode: '123', ussdString: h.begin ? h.dialled : h.input, cellId: '61602-1234', language: 'fr', imsi: '616020000000001' }),
    // The InboundResponse envelope (providers/mtn-madapi/fixtures.ts): messageType 2 ends.
    screen: (body) => {
      const answer = JSON.parse(body) as { data: { inboundResponse: string; messageType: number; userInputRequired: boolean } };
      return { text: answer.data.inboundResponse, end: answer.data.messageType === 2 && !answer.data.userInputRequired };
    },
  },
];

/** The hops of one walk: the opening (what was dialled), then each input, numbered from 1. */
export function walkHops(sessionId: string, msisdn: string, dialled: string, inputs: readonly string[]): WireHop[] {
  const opening: WireHop = { sessionId, msisdn, begin: true, dialled, input: '', history: [], sequence: 1 };
  return [opening, ...inputs.map((input, i) => ({ sessionId, msisdn, begin: false, dialled, input, history: inputs.slice(0, i + 1), sequence: i + 2 }))];
}

/** The raw requests of a walk, in the dialect's wire format. */
export function walkRequests(dialect: WireDialect, sessionId: string, msisdn: string, dialled: string, inputs: string[]) {
  return walkHops(sessionId, msisdn, dialled, inputs).map((hop) => dialect.request(hop));
}

/** What a driver needs of the gateway under test. */
export interface DriverGateway {
  app: Hono;
  /** The same ports the app's routes use, for transports that are not HTTP. */
  hopDeps: HopHandlerDeps;
  providerSettings?: Readonly<Record<string, UssdProviderSettings>>;
}

export interface DialectConnection {
  /** Sends one hop as the provider would and reads the screen it gets back. */
  send(hop: WireHop): Promise<{ status: number; screen: { text: string; end: boolean } }>;
  close(): Promise<void>;
}

/** Sends a walk's hops over a connection, each once the previous is answered: what came back. */
export async function walkOver(connection: DialectConnection, sessionId: string, msisdn: string, dialled: string, inputs: readonly string[]) {
  const answers: { status: number; screen: { text: string; end: boolean } }[] = [];
  for (const hop of walkHops(sessionId, msisdn, dialled, inputs)) answers.push(await connection.send(hop));
  return answers;
}

/** A test driver for a registered dialect (`providers/index.ts` `ussdRegistry`), by its name. */
export interface DialectDriver {
  name: string;
  carriesDialString: boolean;
  connect(gateway: DriverGateway): Promise<DialectConnection>;
}

function httpDriver(wire: WireDialect): DialectDriver {
  return {
    name: wire.name,
    carriesDialString: wire.carriesDialString,
    async connect({ app }) {
      return {
        async send(hop) {
          const request = wire.request(hop);
          const res = await app.request(`/ussd/${wire.name}`, { method: 'POST', headers: { 'content-type': request.contentType }, body: request.body });
          const body = await res.text();
          return { status: res.status, screen: res.status === 200 ? wire.screen(body) : { text: body, end: true } };
        },
        async close() {},
      };
    },
  };
}

/**
 * SMPP through a loopback SMSC (testkit/smsc.ts) and a real link, served by the USSD channel with the
 * gateway's own ports under the provider name `smpp`. The SMSC is the demanding kind: it keeps one
 * `its_session_info` for the whole dialogue (providers/smpp-ussd/fixtures.ts, `constant`).
 */
const smppDriver: DialectDriver = {
  name: smppUssd.name,
  carriesDialString: true,
  async connect({ hopDeps, providerSettings }) {
    const settings = providerSettings?.[smppUssd.name];
    const { smsc, close } = await boundSmppLink({ submitsPerSecond: 1000, reconnectInitialMs: 50 }, (link) =>
      serveUssdOverSmpp(hopDeps, link, { provider: smppUssd.name, screenLimit: smppUssd.defaultScreenLimit, sessionInfo: 'echo', ...(settings ? { settings } : {}) }),
    );
    return {
      async send(hop) {
        const info = [sessionNumber(hop.sessionId), 0x34];
        const reply = smsc.nextSubmit();
        smsc.deliver(hop.begin ? 1 : 18, hop.begin ? hop.dialled : hop.input, info, hop.msisdn, { ...SMSC_ADDRESSING });
        const pdu = await reply;
        return { status: 200, screen: { text: (pdu.short_message as { message: string }).message, end: pdu.ussd_service_op === 17 } };
      },
      close,
    };
  },
};

/** One octet standing for a test's session id: distinct walks of one test get distinct dialogues. */
function sessionNumber(sessionId: string): number {
  let hash = 0;
  for (const ch of sessionId) hash = (hash * 31 + ch.charCodeAt(0)) & 0xff;
  return hash;
}

/** Every driver, by registered dialect name. A registered dialect missing here fails the suite. */
export const DIALECT_DRIVERS: Readonly<Record<string, DialectDriver>> = Object.fromEntries(
  [...WIRE_DIALECTS.map(httpDriver), smppDriver].map((driver) => [driver.name, driver]),
);
