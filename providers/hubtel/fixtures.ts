/**
 * Hubtel Programmable Services wire samples, each with where it was read. Samples are kept as
 * published (Ghanaian numbers included); a test that needs a Benin caller says so and swaps the
 * `Mobile` itself. Hubtel sends `Type` in lowercase in its own samples; its .NET SDK lowercases
 * before matching (hubtel/programmable-services-sdk-dotnet,
 * `src/Hubtel.ProgrammableServices.Sdk/Models/ProgrammableServiceRequestExtensions.cs`), so any
 * case is accepted. Replies use `Response` / `Release`.
 */
export interface HubtelSample {
  name: string;
  source: string;
  /** Marked where the sample is not verbatim from the source. */
  inferred?: string;
  body: Record<string, unknown>;
}

export const HUBTEL_REQUESTS = {
  /** The SDK README's "sample request from Hubtel" (a USSD initiation, no Sequence). */
  sdkInitiation: {
    name: 'SDK README initiation',
    source: 'hubtel/programmable-services-sdk-dotnet README.md ("sample request from Hubtel")',
    body: { Mobile: '233244234546', SessionId: '234567ityjhgwe654765utrye', ServiceCode: '7c920dc49b7a40588c657119ce599044', Type: 'initiation', Message: '*711*23#', Operator: 'mtn', Platform: 'USSD' },
  },
  /** Hubtel App initiation: `ServiceCode` is a service id and `Message` is empty: not a USSD dial. */
  appInitiation: {
    name: 'API reference app initiation',
    source: 'https://hubtel.readme.io/reference/sample-general-services-interaction (STEP 1)',
    body: { Sequence: '1', Type: 'initiation', Message: '', ServiceCode: 'b230733cd56b4a0fad820e39f66bc27c', Operator: 'Hubtel-Android', ClientState: '', Mobile: '233246912184', SessionId: '8d440a43a98b4614b9df22b79c8190b8' },
  },
  response: {
    name: 'response with the latest input',
    source: 'https://developers.hubtel.com/docs/api-reference-prog-services (Type "response": the subsequent input; fields as the push request table)',
    inferred: 'field values; the reference lists the fields and the lowercase Type, not this exact body',
    body: { Type: 'response', Mobile: '233244234546', SessionId: '234567ityjhgwe654765utrye', ServiceCode: '711*23', Message: '1', Operator: 'mtn', Sequence: 2, ClientState: '', Platform: 'USSD' },
  },
  release: {
    name: 'release by the user',
    source: 'https://developers.hubtel.com/docs/api-reference-prog-services (Type "release": the user ends the session)',
    inferred: 'field values',
    body: { Type: 'release', Mobile: '233244234546', SessionId: '234567ityjhgwe654765utrye', ServiceCode: '711*23', Message: '', Operator: 'mtn', Sequence: 3, ClientState: '', Platform: 'USSD' },
  },
  timeout: {
    name: 'timeout (our answer was too late)',
    source: 'hubtel/programmable-services-sdk-dotnet ProgrammableServiceRequestExtensions.cs (case "timeout")',
    inferred: 'field values',
    body: { Type: 'timeout', Mobile: '233244234546', SessionId: '234567ityjhgwe654765utrye', ServiceCode: '711*23', Message: '', Operator: 'mtn', Sequence: 3, ClientState: '', Platform: 'USSD' },
  },
} satisfies Record<string, HubtelSample>;

/** The reply shape, from the SDK README's sample response (serialised there in camelCase; Hubtel's reference uses these PascalCase names). */
export const HUBTEL_REPLY_SOURCE = 'hubtel/programmable-services-sdk-dotnet README.md (sample response: type Response, message, label, dataType, fieldType)';

/** A published sample with a Benin caller in place of its Ghanaian number, for walks through the gateway. */
export function withBeninMobile(sample: HubtelSample, mobile = '2290197000001'): Record<string, unknown> {
  return { ...sample.body, Mobile: mobile };
}
