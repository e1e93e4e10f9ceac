/**
 * How each dialect's aggregator talks, for tests and benchmarks: build the raw request of a hop
 * and read the screen back from the raw answer. The wire shapes are the providers' own.
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
      json({ Type: h.begin ? 'Initiation' : 'Response', Mobile: h.msisdn, SessionId: h.sessionId, ServiceCode: '123', Message: h.begin ? h.dialled : h.input, Operator: 'mtn', Sequence: h.sequence, ClientState: '', Platform: 'USSD' }),
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
    screen: (body) => {
      const answer = JSON.parse(body) as { ussdString: string; messageType: string };
      return { text: answer.ussdString, end: answer.messageType === '2' };
    },
  },
];

/** The raw requests of a walk: the opening (what was dialled), then each input. */
export function walkRequests(dialect: WireDialect, sessionId: string, msisdn: string, dialled: string, inputs: string[]) {
  const hops: { contentType: string; body: string }[] = [];
  const history: string[] = [];
  hops.push(dialect.request({ sessionId, msisdn, begin: true, dialled, input: '', history: [], sequence: 1 }));
  inputs.forEach((input, i) => {
    history.push(input);
    hops.push(dialect.request({ sessionId, msisdn, begin: false, dialled, input, history: [...history], sequence: i + 2 }));
  });
  return hops;
}
