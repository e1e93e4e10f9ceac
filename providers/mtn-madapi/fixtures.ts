/**
 * MTN MADAPI USSD wire samples from the swagger copy api-evangelist/mtn-group
 * `openapi/_original/mtn-group-ussd.yml` ("MTN Messaging USSD API" 1.0.0, host api.mtn.com,
 * basePath /v1/, auth `x-api-key`). Each sample names the definition it comes from; values the
 * swagger leaves out are marked inferred.
 */
export const MADAPI_SOURCE = 'api-evangelist/mtn-group openapi/_original/mtn-group-ussd.yml';

/** `InboundRequest` example values (POST /messages/ussd/inbound, USSD gateway → us). `messageType` is a string there. */
export const INBOUND_REQUEST_EXAMPLE = {
  sessionId: '01235',
  messageType: '0',
  msisdn: '2252312345',
  serviceCode: '321123',
  ussdString: 'Please vote for xxx.',
} as const;

/** Inbound requests as a Benin caller would send them; the field set is `InboundRequest`'s. */
export const INBOUND_REQUESTS = {
  begin: {
    inferred: 'values (Benin number, our short code); cellId/language/imsi are optional fields of InboundRequest',
    body: { sessionId: '01235', messageType: '0', msisdn: '2290197000001', serviceCode: '123', ussdString: '*123#', cellId: '61602-0042', language: 'fr', imsi: '616020000000001' },
  },
  /** The response schema types `messageType` as an integer: some gateways send the request's as one too. */
  beginNumericType: {
    inferred: 'messageType as an integer (the request schema says string; accepted both ways)',
    body: { sessionId: '01236', messageType: 0, msisdn: '2290197000001', serviceCode: '123', ussdString: '*123*2#' },
  },
  continue: { inferred: 'values', body: { sessionId: '01235', messageType: '1', msisdn: '2290197000001', serviceCode: '123', ussdString: '1' } },
  /** 4-Abort: "ussdString will contain the abort reason or message" (InboundRequest.ussdString). */
  cancel: { inferred: 'the abort text', body: { sessionId: '01235', messageType: '4', msisdn: '2290197000001', serviceCode: '123', ussdString: 'User aborted' } },
  timeout: { inferred: 'values', body: { sessionId: '01235', messageType: '5', msisdn: '2290197000001', serviceCode: '123', ussdString: '' } },
} as const;

/** `InboundResponse` (our answer to an inbound request): the envelope and its example values. */
export const INBOUND_RESPONSE_EXAMPLE = {
  statusCode: '0000',
  statusMessage: '',
  transactionId: '',
  data: { inboundResponse: null, userInputRequired: true, messageType: 1, serviceCode: '9000', msisdn: '' },
  _link: { self: { href: 'https://api.mtn.com/v1/messages/ussd/send' } },
} as const;

/** `SubscriptionRequest` example (POST /messages/ussd/subscription). */
export const SUBSCRIPTION_REQUEST_EXAMPLE = {
  serviceCode: '*1234*356#',
  callbackUrl: 'http://10.138.40.69:11400/xportal/services/NetworkNotify',
  targetSystem: 'AYO',
} as const;

/** `SubscriptionResponse` example (201 Created). */
export const SUBSCRIPTION_RESPONSE_EXAMPLE = {
  statusCode: '0000',
  statusMessage: 'Created',
  transactionId: 'xyz-0hij0hjh0-9y6',
  data: { subscriptionId: '123-xyz-456' },
  _link: { self: { href: 'https://api.mtn.com/v1/messages/ussd/send' } },
} as const;

/** `Error` example (any 4xx/5xx). */
export const ERROR_EXAMPLE = {
  statusCode: '3001',
  statusMessage: 'A system error has occured',
  supportMessage: '400 Bad Request',
  transactionId: 'xyz-t960-tuy',
  timestamp: '2020-08-01T12:34',
  path: 'https://api.mtn.com/v1/<path>',
  method: 'POST',
} as const;

/** `OutboundRequest` example values (POST /messages/ussd/outbound, us → MADAPI), as the swagger gives them. */
export const OUTBOUND_REQUEST_EXAMPLE = {
  sessionId: '01235',
  messageType: '0',
  msisdn: '2252312345',
  serviceCode: '321123',
  ussdString: 'Please vote for xxx.',
} as const;

/** `OutboundResponse` (201 Created) with the swagger's example values: `outboundResponse` "0000" is a success. */
export const OUTBOUND_RESPONSE_EXAMPLE = {
  statusCode: '0000',
  statusMessage: '',
  transactionId: '',
  data: { outboundResponse: '0000', sessionId: '01235', msisdn: '2341234567' },
  _link: { self: { href: 'https://api.mtn.com/v1/messages/ussd/send' } },
} as const;
