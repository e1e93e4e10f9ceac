import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ussdDialects } from '../../providers/index.js';
import { API_ERRORS, API_ERROR_CODES, type ApiErrorCode } from '../../src/http/errors.js';
import { hmacHex } from '../../src/lib/secrets.js';
import { ApiErrorSchema, errorsByStatus, openApiPath, type JsonSchema, type OpenApiDocument } from '../../src/http/openapi.js';
import { describedRoutes, servingRoute, type BodyDescriptor, type RouteDescriptor } from '../../src/http/route-descriptor.js';
import { fullGateway, KEYS } from './full-gateway.js';

/**
 * Issue 14 item 3: the integrators' API described in OpenAPI 3.1, made from the routes' own zod
 * schemas. Every route the app registers is described (or listed below as deliberately not), no
 * description names a route the app does not have, the document is OpenAPI 3.1 in shape, every
 * example passes its schema, and every request example, sent to the gateway, is answered with a
 * status the description lists and a body its schema accepts.
 */

/** Routes served but deliberately not in the integrators' description, and why. */
const UNDOCUMENTED: Readonly<Record<string, string>> = {
  'GET /simulator': 'a page for agency staff trying menus, off in production (SIMULATOR=0)',
  'GET /simulator/menus': 'the simulator page’s own data',
  'GET /simulator/session': 'the simulator page’s own data',
  'GET /simulator/sms': 'the simulator page’s own data (the sandbox SMS route’s texts)',
};

type Gateway = Awaited<ReturnType<typeof fullGateway>>;

/** The descriptors of the full gateway, for the tables below (each test builds its own gateway). */
const DESCRIPTORS = describedRoutes((await fullGateway()).app);

async function documentOf(gw: Gateway): Promise<OpenApiDocument> {
  const res = await gw.app.request('/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return (await res.json()) as OpenApiDocument;
}

/** Hono's route table: every method and pattern, middleware (`ALL`) aside. */
function registeredRoutes(gw: Gateway): Set<string> {
  return new Set(gw.app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`));
}

describe('every route is described', () => {
  it('every route Hono has registered is described or listed as undocumented, and nothing else is described', async () => {
    const gw = await fullGateway();
    const routes = registeredRoutes(gw);
    const described = new Set(describedRoutes(gw.app).map(servingRoute));
    expect([...routes].filter((route) => !described.has(route) && !(route in UNDOCUMENTED)), 'routes without a description').toEqual([]);
    expect([...described].filter((route) => !routes.has(route)), 'descriptions of routes the app does not have').toEqual([]);
    expect(Object.keys(UNDOCUMENTED).filter((route) => !routes.has(route)), 'undocumented routes that no longer exist').toEqual([]);
    expect(Object.keys(UNDOCUMENTED).filter((route) => described.has(route)), 'listed as undocumented but described').toEqual([]);
  });

  it('a provider’s own path is one its shared route serves', async () => {
    const gw = await fullGateway();
    for (const descriptor of describedRoutes(gw.app).filter((d) => d.servedBy)) {
      const pattern = new RegExp(`^${descriptor.servedBy!.replace(/:[A-Za-z0-9_]+/g, '[^/]+')}$`);
      expect(descriptor.path, descriptor.operationId).toMatch(pattern);
    }
  });

  it('every HTTP dialect of the registry documents its wire format, every callback-taking payment API its callback', async () => {
    expect(ussdDialects.filter((dialect) => !dialect.wire).map((d) => d.name)).toEqual([]);
    const gw = await fullGateway();
    const taking = gw.providers.all().filter((p) => 'parseCallback' in p);
    expect(taking.length).toBeGreaterThan(0);
    expect(taking.filter((p) => !('callbackDoc' in p && p.callbackDoc)).map((p) => p.name)).toEqual([]);
  });
});

describe('the document', () => {
  it('is OpenAPI 3.1 in shape', async () => {
    const problems = openApiShapeProblems(await documentOf(await fullGateway()));
    expect(problems).toEqual([]);
  });

  it('answers errors with the envelope’s codes, each with one of its statuses', async () => {
    const doc = await documentOf(await fullGateway());
    expect(doc.components.schemas.Error).toBeDefined();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const [status, response] of Object.entries(op.responses)) {
          const media = response.content?.['application/json'];
          const schema = media?.schema as { allOf?: { $ref?: string }[]; properties?: { error?: { enum?: string[] } } } | undefined;
          if (!schema?.allOf?.some((part) => part.$ref === '#/components/schemas/Error')) continue;
          const codes = schema.properties?.error?.enum ?? [];
          expect(codes.length, `${method} ${path} ${status}`).toBeGreaterThan(0);
          for (const code of codes) {
            expect(API_ERROR_CODES, `${method} ${path}`).toContain(code);
            expect(API_ERRORS[code as ApiErrorCode].statuses as readonly number[], `${method} ${path} ${code}`).toContain(Number(status));
            expect(ApiErrorSchema.safeParse(media?.examples?.[code]?.value).success, `${method} ${path} ${code} example`).toBe(true);
          }
        }
      }
    }
  });

  it('describes only what the deployment serves', async () => {
    const gw = await fullGateway();
    const paths = Object.keys((await documentOf(gw)).paths);
    expect(paths).toEqual(expect.arrayContaining(['/v1/notifications', '/v1/notifications/{id}', '/v1/payments/report', '/metrics', '/readyz', '/ussd/hubtel', '/payments/fedapay/callback']));
    const { createTestGateway } = await import('../../testkit/harness.js');
    const bare = await createTestGateway();
    const barePaths = Object.keys(((await (await bare.app.request('/openapi.json')).json()) as OpenApiDocument).paths);
    expect(barePaths).not.toContain('/v1/notifications');
    expect(barePaths).not.toContain('/metrics');
    expect(barePaths).toContain('/ussd/africastalking');
  });
});

describe('every example passes its schema', () => {
  it.each(DESCRIPTORS)('$operationId', (descriptor) => {
    const checked = examplesOf(descriptor);
    for (const { where, schema, value } of checked) {
      const parsed = schema.safeParse(value);
      expect(parsed.success, `${where}: ${parsed.success ? '' : JSON.stringify(parsed.error.issues)}`).toBe(true);
    }
    // Documentation routes show no sample of themselves; every other operation shows some.
    if (descriptor.tag !== 'documentation') expect(checked.length, 'examples').toBeGreaterThan(0);
  });
});

describe('every request example, sent to the gateway, gets an answer the description lists', () => {
  it.each(DESCRIPTORS.filter((d) => d.tag !== 'documentation'))('$operationId', async (descriptor) => {
    const gw = await fullGateway();
    // A notification to look up, and a FedaPay payment for the webhook sample to move.
    const sent = await gw.app.request('/v1/notifications', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEYS.notify }, body: JSON.stringify({ to: '+2290197000001', template: 'help', idempotencyKey: 'openapi-lookup-0001' }) });
    const { id } = (await sent.json()) as { id: string };
    await gw.payments.create({ id: '3f0c9a52-8d1e-4b7a-a6c4-2e9b1d7f5a30', requestNumber: 'PS00373-240001', amountXof: 100, payerMsisdn: '+2290197000001', operator: 'MTN', provider: 'fedapay', createdAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 600_000).toISOString() });

    for (const request of requestsOf(descriptor, { id })) {
      const headers = { ...request.headers, ...(await credentials(descriptor, request.body ?? '')) };
      const res = await gw.app.request(request.url, { method: descriptor.method, headers, ...(request.body !== undefined ? { body: request.body } : {}) });
      const text = await res.text();
      const where = `${request.name}: ${res.status} ${text.slice(0, 200)}`;
      if (process.env.SHOW) console.log(descriptor.operationId, where);
      const answer = descriptor.responses[res.status];
      const errorCodes = errorsByStatus(descriptor).find(([status]) => Number(status) === res.status)?.[1];
      expect(answer !== undefined || errorCodes !== undefined, `${where} (status not described)`).toBe(true);
      if (answer) {
        if (!answer.body) expect(text, where).toBe('');
        else {
          expect(res.headers.get('content-type') ?? '', where).toContain(answer.body.contentType);
          const value = answer.body.contentType === 'application/json' ? JSON.parse(text) : text;
          const parsed = answer.body.schema.safeParse(value);
          expect(parsed.success, `${where}: ${parsed.success ? '' : JSON.stringify(parsed.error.issues)}`).toBe(true);
        }
        for (const header of Object.keys(answer.headers ?? {})) expect(res.headers.get(header), `${where}: header ${header}`).not.toBeNull();
      } else {
        const body = ApiErrorSchema.parse(JSON.parse(text));
        expect(errorCodes, where).toContain(body.error);
      }
    }
  });
});

describe('the reference page', () => {
  it('is plain HTML made from the document: every operation, no script, nothing from elsewhere, a strict CSP', async () => {
    const gw = await fullGateway();
    const doc = await documentOf(gw);
    const res = await gw.app.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const op of Object.values(item)) {
        expect(html).toContain(`id="${op.operationId}"`);
        expect(html).toContain(`<code>${path}</code>`);
      }
    }
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(src|href)=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<(link|img|iframe|object|embed)\b/i);
    const policy = res.headers.get('content-security-policy') ?? '';
    expect(policy).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toMatch(/script-src|unsafe/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    // The style sheet the policy allows is the one on the page.
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(style)));
    expect(policy).toContain(`'sha256-${btoa(String.fromCharCode(...digest))}'`);
  });

  it('escapes what it shows: a sample cannot inject markup', async () => {
    const { renderDocsPage } = await import('../../src/http/docs-page.js');
    const { openApiDocument } = await import('../../src/http/openapi.js');
    const hostile: RouteDescriptor = {
      method: 'GET',
      path: '/x',
      operationId: 'hostile',
      tag: 'health',
      summary: '<script>alert(1)</script>',
      description: '"><img src=x onerror=alert(1)>',
      security: [],
      responses: { 200: { description: 'ok', body: { contentType: 'text/plain', schema: z.string(), examples: { x: { summary: '</pre><script>', value: '<marquee>' } } } } },
      errors: [],
    };
    const html = renderDocsPage(openApiDocument([hostile]));
    expect(html).not.toMatch(/<script|<img|<marquee/);
    expect(html).toContain('&lt;script&gt;');
  });
});

// ---------------------------------------------------------------------------------------------

interface CheckedExample {
  where: string;
  schema: z.ZodType;
  value: unknown;
}

function examplesOf(descriptor: RouteDescriptor): CheckedExample[] {
  const fromBody = (where: string, body: BodyDescriptor | undefined) => Object.entries(body?.examples ?? {}).map(([name, example]) => ({ where: `${where} ${name}`, schema: body!.schema, value: example.value }));
  const query = descriptor.request?.query;
  return [
    ...fromBody('request', descriptor.request?.body),
    ...(query ? Object.entries(descriptor.request?.queryExamples ?? {}).map(([name, example]) => ({ where: `query ${name}`, schema: query, value: example.value })) : []),
    ...Object.entries(descriptor.responses).flatMap(([status, response]) => fromBody(`response ${status}`, response.body)),
  ];
}

interface ExampleRequest {
  name: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** Each request example (body, or query) as the provider or client sends it. */
function requestsOf(descriptor: RouteDescriptor, pathValues: Record<string, string>): ExampleRequest[] {
  const path = descriptor.path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => encodeURIComponent(pathValues[name] ?? crypto.randomUUID()));
  const queries = Object.entries(descriptor.request?.queryExamples ?? {}).map(([name, example]) => ({ name, query: `?${new URLSearchParams(example.value as Record<string, string>).toString()}` }));
  const body = descriptor.request?.body;
  const bodies = body
    ? Object.entries(body.examples).map(([name, example]) => ({ name, headers: { 'content-type': body.contentType }, body: encode(body.contentType, example.value) }))
    : [{ name: 'no body', headers: {} as Record<string, string>, body: undefined }];
  const withQuery = queries.length > 0 ? queries : [{ name: '', query: '' }];
  return withQuery.flatMap((q) => bodies.map((b) => ({ name: [q.name, b.name].filter(Boolean).join(' + '), url: `${path}${q.query}`, headers: b.headers, ...(b.body !== undefined ? { body: b.body } : {}) })));
}

function encode(contentType: string, value: unknown): string {
  if (contentType === 'application/json') return JSON.stringify(value);
  if (contentType === 'application/x-www-form-urlencoded') return new URLSearchParams(value as Record<string, string>).toString();
  return String(value);
}

/** What the test knows of each scheme: a credential the full gateway accepts. */
const CREDENTIALS: Readonly<Record<string, (body: string) => Promise<Record<string, string>>>> = {
  agencyApiKey: async () => ({ 'x-api-key': KEYS.notify }),
  reportApiKey: async () => ({ 'x-api-key': KEYS.report }),
  metricsBearer: async () => ({ authorization: `Bearer ${KEYS.metrics}` }),
  fedapaySignature: async (body) => {
    const t = Math.floor(Date.now() / 1000);
    return { 'x-fedapay-signature': `t=${t},s=${await hmacHex(KEYS.fedapayWebhook, `${t}.${body}`)}` };
  },
  kkiapaySecret: async () => ({ 'x-kkiapay-secret': KEYS.kkiapayWebhook }),
};

/**
 * The first alternative the test has credentials for; none where configuration may leave the
 * route open and the full gateway does (no USSD or SMS secret set).
 */
async function credentials(descriptor: RouteDescriptor, body: string): Promise<Record<string, string>> {
  const known = descriptor.security.find((alternative) => alternative.length > 0 && alternative.every(({ name }) => CREDENTIALS[name]));
  if (!known) {
    if (descriptor.security.length > 0 && !descriptor.security.some((alternative) => alternative.length === 0)) throw new Error(`the test has no credential for ${descriptor.operationId}`);
    return {};
  }
  const headers: Record<string, string> = {};
  for (const { name } of known) Object.assign(headers, await CREDENTIALS[name]!(body));
  return headers;
}

/**
 * The structural rules of OpenAPI 3.1 the document must follow (https://spec.openapis.org/oas/v3.1.0):
 * the fields it uses, typed as the specification types them, every reference resolving.
 */
function openApiShapeProblems(doc: OpenApiDocument): string[] {
  const problems: string[] = [];
  const fail = (where: string, what: string) => problems.push(`${where}: ${what}`);
  if (doc.openapi !== '3.1.0') fail('openapi', String(doc.openapi));
  if (typeof doc.info?.title !== 'string' || typeof doc.info?.version !== 'string') fail('info', 'title and version are required strings');
  if (doc.jsonSchemaDialect !== 'https://json-schema.org/draft/2020-12/schema') fail('jsonSchemaDialect', String(doc.jsonSchemaDialect));
  const tagNames = new Set(doc.tags.map((t) => t.name));
  const schemes = doc.components.securitySchemes;
  for (const [name, scheme] of Object.entries(schemes)) {
    if (!/^[A-Za-z0-9._-]+$/.test(name)) fail(`securitySchemes.${name}`, 'name');
    if (scheme.type === 'apiKey' && !(['header', 'query', 'cookie'].includes(scheme.in) && typeof scheme.name === 'string')) fail(`securitySchemes.${name}`, 'apiKey needs in and name');
    if (scheme.type === 'http' && typeof scheme.scheme !== 'string') fail(`securitySchemes.${name}`, 'http needs scheme');
  }
  const operationIds = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith('/') || path.includes(':')) fail(path, 'a path starts with / and uses {name} templates');
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    for (const [method, op] of Object.entries(item)) {
      const where = `${method.toUpperCase()} ${path}`;
      if (!['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'].includes(method)) fail(where, 'method');
      if (operationIds.has(op.operationId)) fail(where, `operationId ${op.operationId} twice`);
      operationIds.add(op.operationId);
      for (const tag of op.tags) if (!tagNames.has(tag)) fail(where, `tag ${tag} undeclared`);
      const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      if (JSON.stringify([...declared].sort()) !== JSON.stringify([...templated].sort())) fail(where, `path parameters ${declared} vs template ${templated}`);
      for (const p of op.parameters ?? []) {
        if (!['path', 'query', 'header', 'cookie'].includes(p.in) || typeof p.name !== 'string') fail(where, `parameter ${p.name}`);
        if (p.in === 'path' && p.required !== true) fail(where, `path parameter ${p.name} must be required`);
        schemaProblems(`${where} parameter ${p.name}`, p.schema, fail);
      }
      for (const requirement of op.security) for (const name of Object.keys(requirement)) if (!schemes[name]) fail(where, `security ${name} undefined`);
      if (op.requestBody) mediaProblems(`${where} requestBody`, op.requestBody.content, fail);
      if (Object.keys(op.responses).length === 0) fail(where, 'no responses');
      for (const [status, response] of Object.entries(op.responses)) {
        if (!/^[1-5]\d\d$/.test(status)) fail(where, `response key ${status}`);
        if (typeof response.description !== 'string' || response.description === '') fail(`${where} ${status}`, 'description is required');
        if (response.content) mediaProblems(`${where} ${status}`, response.content, fail);
        for (const [name, header] of Object.entries(response.headers ?? {})) schemaProblems(`${where} ${status} header ${name}`, header.schema, fail);
      }
    }
  }
  for (const [name, schema] of Object.entries(doc.components.schemas)) schemaProblems(`schemas.${name}`, schema, fail);
  // Every reference resolves inside the document.
  for (const ref of JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)) {
    const target = ref[1]!.replace(/^#\//, '').split('/').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
    if (target === undefined) fail('$ref', ref[1]!);
  }
  if (JSON.stringify(JSON.parse(JSON.stringify(doc))) !== JSON.stringify(doc)) fail('document', 'not plain JSON');
  return problems;
}

function mediaProblems(where: string, content: Record<string, { schema: JsonSchema; examples?: Record<string, { value: unknown }> }>, fail: (where: string, what: string) => void): void {
  if (Object.keys(content).length === 0) fail(where, 'empty content');
  for (const [mediaType, media] of Object.entries(content)) {
    if (!/^[\w.+-]+\/[\w.+-]+$/.test(mediaType)) fail(where, `media type ${mediaType}`);
    schemaProblems(`${where} ${mediaType}`, media.schema, fail);
    for (const [name, example] of Object.entries(media.examples ?? {})) if (!('value' in example)) fail(`${where} example ${name}`, 'no value');
  }
}

const JSON_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'];

/** A JSON Schema 2020-12 in the shapes it may take: types, required ⊆ properties, nested schemas. */
function schemaProblems(where: string, schema: unknown, fail: (where: string, what: string) => void): void {
  if (typeof schema === 'boolean') return;
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return void fail(where, 'a schema is an object or a boolean');
  const s = schema as JsonSchema;
  const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
  for (const type of types) if (!JSON_TYPES.includes(type as string)) fail(where, `type ${String(type)}`);
  if (s.required !== undefined) {
    if (!Array.isArray(s.required) || s.required.some((r) => typeof r !== 'string')) fail(where, 'required is a list of names');
    else if (s.properties && !(s.required as string[]).every((r) => r in (s.properties as object))) fail(where, 'required names a property not listed');
  }
  if (s.enum !== undefined && !Array.isArray(s.enum)) fail(where, 'enum is a list');
  for (const [name, property] of Object.entries((s.properties ?? {}) as Record<string, unknown>)) schemaProblems(`${where}.${name}`, property, fail);
  for (const key of ['items', 'additionalProperties', 'propertyNames', 'not']) if (s[key] !== undefined) schemaProblems(`${where}/${key}`, s[key], fail);
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    if (s[key] === undefined) continue;
    if (!Array.isArray(s[key])) fail(where, `${key} is a list`);
    else (s[key] as unknown[]).forEach((part, i) => schemaProblems(`${where}/${key}/${i}`, part, fail));
  }
}

// The path syntax both ways, as the test above relies on it.
it('writes Hono paths as OpenAPI templates', () => {
  expect(openApiPath('/v1/notifications/:id')).toBe('/v1/notifications/{id}');
  expect(openApiPath('/a/:b{[0-9]+}/c')).toBe('/a/{b}/c');
});
