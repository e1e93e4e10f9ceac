/**
 * Moov Money wire samples, taken from community SDKs (Moov publishes nothing): each says where it
 * was read. The table-driven tests replay them through the adapter, and the local fake answers in
 * their shape (`moovAnswer`). A sample marked "inferred" is not in any source.
 *
 * - Brainsial/moov-money-api-sdk `servers/moov_money_test.server.ts` (the SDK's own test server)
 * - Brainsial/moov-money-api-sdk `tests/security/encryption_agent.test.ts`
 * - v1p3r75/moov-money-api-php-sdk `tests/Feature/SoapRequest/SoapRequestParserTest.php`
 * - v1p3r75/moov-money-api-php-sdk `tests/Feature/Security/EncryptionTest.php` (after 8a03e56)
 */

export const MOOV_SOAP_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const MOOV_API_NS = 'http://api.merchant.tlc.com/';

/** Known tokens: the same recipe must give these (key `tlc12345…`, 32 bytes). */
export const MOOV_TOKEN_VECTORS = [
  {
    source: 'Brainsial/moov-money-api-sdk tests/security/encryption_agent.test.ts',
    username: 'myusername',
    password: 'mypassword',
    encryptionKey: 'tlc12345tlc12345tlc12345tlc12345',
    token: '7a1FPyjZ4eqAhFIoHpLumttby9GoBPGuwV5AIaB22tc=',
  },
  {
    source: 'v1p3r75/moov-money-api-php-sdk tests/Feature/Security/EncryptionTest.php (commit 8a03e56)',
    username: 'username',
    password: 'password',
    encryptionKey: 'tlc12345tlc12345tlc12345tlc12345',
    token: 'hnTyz1stTsRO8PxwCssFHwwUakVCzRFeJ4Ms/F9cem0=',
  },
] as const;

/** What the adapter must make of an answer: a push answer is never a success by itself. */
export type MoovExpectation =
  | { push: 'pending'; reference?: string }
  | { push: 'failed' }
  | { push: 'ambiguous' }
  | { status: 'succeeded'; transactionId: string }
  | { status: 'pending' }
  | { status: 'failed' }
  | { status: 'error' };

export interface MoovSample {
  name: string;
  source: string;
  /** Which operation's answer it is. */
  operation: 'PushWithPending' | 'getTransactionStatus';
  xml: string;
  expect: MoovExpectation;
}

export const MOOV_SAMPLES: readonly MoovSample[] = [
  {
    name: 'push answered 0 SUCCESS with a reference (initiated only)',
    source: 'Brainsial/moov-money-api-sdk servers/moov_money_test.server.ts pushTransactionWithPendingResponse(false)',
    operation: 'PushWithPending',
    xml: `<?xml version="1.0" encoding="utf-16"?>
        <soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
            <soap:Body>
                <ns2:PushWithPendingResponse xmlns:ns2="http://tlc.com.ph/">
                    <result>
                <description>SUCCESS</description>
                <referenceid>720220120000006</referenceid>
                <status>0</status>
                <transid>pi_NyM_1642619082990</transid>
            </result>
                </ns2:PushWithPendingResponse>
            </soap:Body>
        </soap:Envelope>`,
    expect: { push: 'pending', reference: '720220120000006' },
  },
  {
    name: 'push answered 100 IN PENDING STATE without a reference id',
    source: 'Brainsial/moov-money-api-sdk servers/moov_money_test.server.ts pushTransactionWithPendingResponse(true)',
    operation: 'PushWithPending',
    xml: `<?xml version="1.0" encoding="utf-16"?>
        <soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
            <soap:Body>
                <ns2:PushWithPendingResponse xmlns:ns2="http://tlc.com.ph/">
                    <result>
                <description>IN PENDING STATE</description>
                <status>100</status>
            </result>
                </ns2:PushWithPendingResponse>
            </soap:Body>
        </soap:Envelope>`,
    expect: { push: 'pending' },
  },
  {
    name: 'push refused 4 UNAUTHORISED_ERROR, read from <return>',
    source: 'v1p3r75/moov-money-api-php-sdk tests/Feature/SoapRequest/SoapRequestParserTest.php',
    operation: 'PushWithPending',
    xml: `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
    <soap:Body>
        <ns2:PushWithPendingResponse xmlns:ns2="http://api.merchant.tlc.com/">
            <return>
                <description>UNAUTHORISED_ERROR</description>
                <referenceid>72024103000000009</referenceid>
                <status>4</status>
                <transid>pi_NyM_1642619082990</transid>
            </return>
        </ns2:PushWithPendingResponse>
    </soap:Body>
</soap:Envelope>`,
    expect: { push: 'failed' },
  },
  {
    name: 'push answered with a SOAP fault (may have been processed)',
    source: 'v1p3r75/moov-money-api-php-sdk tests/Feature/SoapRequest/SoapRequestParserTest.php',
    operation: 'PushWithPending',
    xml: `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
    <soap:Body>
        <soap:Fault>
            <faultcode>soap:Server</faultcode>
            <faultstring>For input string</faultstring>
            <detail>
                <ns1:Exception xmlns:ns1="http://api.merchant.tlc.com/"/>
            </detail>
        </soap:Fault>
    </soap:Body>
</soap:Envelope>`,
    expect: { push: 'ambiguous' },
  },
  {
    name: 'push answered with an HTML error page',
    source: 'v1p3r75/moov-money-api-php-sdk tests/Feature/SoapRequest/SoapRequestParserTest.php ($data3)',
    operation: 'PushWithPending',
    xml: `<html>
        <head>
            <title>Error</title>
        </head>

        <body>HTTP method POST is not supported by this URL</body>
    </html>`,
    expect: { push: 'ambiguous' },
  },
  {
    name: 'status 0 SUCCESS, read from <response>',
    source: 'Brainsial/moov-money-api-sdk servers/moov_money_test.server.ts transactionStatusResponse',
    operation: 'getTransactionStatus',
    xml: `<?xml version="1.0" encoding="utf-16"?>
        <soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
            <soap:Body>
                <ns2:getTransactionStatusResponse xmlns:ns2="http://tlc.com.ph/">
                    <response>
                <description>SUCCESS</description>
                <referenceid>020190503000000</referenceid>
                <status>0</status>
            </response>
                </ns2:getTransactionStatusResponse>
            </soap:Body>
        </soap:Envelope>`,
    expect: { status: 'succeeded', transactionId: '020190503000000' },
  },
  {
    name: 'status 100, still waiting for the subscriber',
    source: 'inferred: the status sample above with the pending code and description of the push sample',
    operation: 'getTransactionStatus',
    xml: moovAnswer('getTransactionStatus', { description: 'IN PENDING STATE', referenceid: '020190503000000', status: '100' }),
    expect: { status: 'pending' },
  },
  {
    name: 'status 92, USSD push timed out or cancelled',
    source: 'inferred: the status sample above with code 92 from v1p3r75/moov-money-api-php-sdk src/Common/data/status.php',
    operation: 'getTransactionStatus',
    xml: moovAnswer('getTransactionStatus', { description: 'Exception on USSD PUSH Timeout', referenceid: '020190503000000', status: '92' }),
    expect: { status: 'failed' },
  },
  {
    name: 'status with a code no SDK lists is not final',
    source: 'inferred',
    operation: 'getTransactionStatus',
    xml: moovAnswer('getTransactionStatus', { description: 'SOMETHING NEW', referenceid: '020190503000000', status: '777' }),
    expect: { status: 'error' },
  },
];

/**
 * An answer in the samples' shape, for the local fake: `<result>` for a push and `<response>` for a
 * status, as Brainsial's test server answers (the PHP SDK's `<return>` is read too).
 */
export function moovAnswer(operation: 'PushWithPending' | 'getTransactionStatus', answer: { description: string; referenceid: string; status: string; transid?: string }): string {
  const wrapper = operation === 'PushWithPending' ? 'result' : 'response';
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const element = (name: string, value: string | undefined) => (value === undefined || value === '' ? '' : `<${name}>${escape(value)}</${name}>`);
  return (
    `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${MOOV_SOAP_NS}"><soap:Body>` +
    `<ns2:${operation}Response xmlns:ns2="${MOOV_API_NS}"><${wrapper}>` +
    element('description', answer.description) +
    element('referenceid', answer.referenceid) +
    element('status', answer.status) +
    element('transid', answer.transid) +
    `</${wrapper}></ns2:${operation}Response></soap:Body></soap:Envelope>`
  );
}
