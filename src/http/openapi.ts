import type { Hono } from 'hono';
import { z } from 'zod';
import { API_ERRORS, API_ERROR_CODES, type ApiErrorCode } from './errors.js';
import { renderDocsPage, docsPageSecurityPolicy } from './docs-page.js';
import { API_TAGS, describeRoutes, describedRoutes, type BodyDescriptor, type Example, type RouteDescriptor, type SecurityScheme } from './route-descriptor.js';

/**
 * The integrators' API as an OpenAPI 3.1 document (https://spec.openapis.org/oas/v3.1.0), made
 * from the routes' own descriptors (`route-descriptor.ts`) and their zod schemas, converted with
 * `z.toJSONSchema` (JSON Schema 2020-12, the dialect OpenAPI 3.1 uses). Served at
 * `GET /openapi.json`, and as a reference page at `GET /docs` rendered from the same document.
 */
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  jsonSchemaDialect: string;
  tags: { name: string; description: string }[];
  paths: Record<string, Record<string, OperationObject>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, SecurityScheme['scheme']> };
}

export type JsonSchema = Record<string, unknown>;

export interface OperationObject {
  operationId: string;
  tags: string[];
  summary: string;
  description: string;
  security: Record<string, string[]>[];
  parameters?: ParameterObject[];
  requestBody?: { required: true; content: Record<string, MediaTypeObject> };
  responses: Record<string, ResponseObject>;
  /** Each call is written to the audit log. */
  'x-guichet-audited'?: true;
  /** The route pattern behind a provider's own path (`/ussd/:provider`). */
  'x-guichet-served-by'?: string;
}

export interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  description?: string;
  schema: JsonSchema;
  examples?: Record<string, ExampleObject>;
}

export interface MediaTypeObject {
  schema: JsonSchema;
  examples?: Record<string, ExampleObject>;
}

export interface ExampleObject {
  summary: string;
  description?: string;
  value: unknown;
}

export interface ResponseObject {
  description: string;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
  content?: Record<string, MediaTypeObject>;
}

/** The body of every error answer (`src/http/errors.ts`), as the document's `Error` schema. */
export const ApiErrorSchema = z
  .object({
    error: z.enum(API_ERROR_CODES as [ApiErrorCode, ...ApiErrorCode[]]).describe('One code of a closed list.'),
    reason: z.string().describe('For the person reading the caller’s logs; never personal data.'),
  })
  .catchall(z.union([z.string(), z.number()]))
  .describe('Every error answer: a code, a reason, and for some codes figures that say more (too_long: segments, maxSegments).');

/** What an example of each code says: its meaning, and the figures `too_long` carries. */
function errorExample(code: ApiErrorCode): Record<string, string | number> {
  return { error: code, reason: API_ERRORS[code].meaning, ...(code === 'too_long' ? { segments: 8, maxSegments: 6 } : {}) };
}

export interface DocumentInfo {
  title?: string;
  version?: string;
  description?: string;
}

/** Builds the document; throws on a descriptor that contradicts another (the test runs it on a full gateway). */
export function openApiDocument(descriptors: readonly RouteDescriptor[], info: DocumentInfo = {}): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  const securitySchemes: OpenApiDocument['components']['securitySchemes'] = {};
  const usedTags = new Set<string>();
  const operationIds = new Set<string>();

  for (const descriptor of descriptors) {
    if (operationIds.has(descriptor.operationId)) throw new Error(`operationId ${descriptor.operationId} used twice`);
    operationIds.add(descriptor.operationId);
    const path = openApiPath(descriptor.path);
    const method = descriptor.method.toLowerCase();
    const item = (paths[path] ??= {});
    if (item[method]) throw new Error(`${descriptor.method} ${path} described twice`);
    for (const alternative of descriptor.security) {
      for (const { name, scheme } of alternative) {
        const known = securitySchemes[name];
        if (known && JSON.stringify(known) !== JSON.stringify(scheme)) throw new Error(`security scheme ${name} defined twice, differently`);
        securitySchemes[name] = scheme;
      }
    }
    usedTags.add(descriptor.tag);
    item[method] = operation(descriptor);
  }

  return {
    openapi: '3.1.0',
    info: {
      title: info.title ?? 'Guichet',
      version: info.version ?? API_VERSION,
      description:
        info.description ??
        'The HTTP API of Guichet, the USSD, SMS and mobile-money gateway to Benin’s e-services: what agencies call, what providers send, and what operators watch. Made from the routes’ own schemas; every error answer is the Error schema, with a code of its closed list.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags: (Object.keys(API_TAGS) as (keyof typeof API_TAGS)[]).filter((tag) => usedTags.has(tag)).map((tag) => ({ name: tag, description: API_TAGS[tag] })),
    paths,
    components: { schemas: { Error: jsonSchema(ApiErrorSchema, 'output') }, securitySchemes },
  };
}

/** The document's own version: the `/v1/` API's. */
export const API_VERSION = '1.0.0';

function operation(descriptor: RouteDescriptor): OperationObject {
  const request = descriptor.request ?? {};
  const parameters = [
    ...parametersOf(request.path, 'path'),
    ...parametersOf(request.query, 'query', request.queryExamples),
    ...parametersOf(request.headers, 'header'),
  ];
  const responses: Record<string, ResponseObject> = {};
  for (const [status, response] of Object.entries(descriptor.responses)) {
    responses[status] = {
      description: response.description,
      ...(response.headers ? { headers: Object.fromEntries(Object.entries(response.headers).map(([name, header]) => [name, { description: header.description, schema: jsonSchema(header.schema, 'output') }])) } : {}),
      ...(response.body ? { content: content(response.body, 'output') } : {}),
    };
  }
  for (const [status, codes] of errorsByStatus(descriptor)) {
    if (responses[status]) throw new Error(`${descriptor.operationId}: status ${status} is both an answer and an error`);
    responses[status] = {
      description: codes.map((code) => `${code}: ${API_ERRORS[code].meaning}`).join(' '),
      content: {
        'application/json': {
          schema: { allOf: [{ $ref: '#/components/schemas/Error' }], properties: { error: { enum: codes } } },
          examples: Object.fromEntries(codes.map((code) => [code, { summary: code, value: errorExample(code) }])),
        },
      },
    };
  }
  return {
    operationId: descriptor.operationId,
    tags: [descriptor.tag],
    summary: descriptor.summary,
    description: descriptor.description,
    security: descriptor.security.map((alternative) => Object.fromEntries(alternative.map(({ name }) => [name, []]))),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(request.body ? { requestBody: { required: true as const, content: content(request.body, 'input') } } : {}),
    responses,
    ...(descriptor.audited ? { 'x-guichet-audited': true as const } : {}),
    ...(descriptor.servedBy ? { 'x-guichet-served-by': descriptor.servedBy } : {}),
  };
}

/** The codes a route answers, grouped by the status each is sent with, in status order. */
export function errorsByStatus(descriptor: RouteDescriptor): [string, ApiErrorCode[]][] {
  const byStatus = new Map<number, ApiErrorCode[]>();
  for (const outcome of descriptor.errors) {
    const [code, status] = typeof outcome === 'string' ? [outcome, API_ERRORS[outcome].statuses[0]] : outcome;
    if (!(API_ERRORS[code].statuses as readonly number[]).includes(status)) throw new Error(`${descriptor.operationId}: ${code} is never sent with ${status}`);
    const codes = byStatus.get(status) ?? [];
    if (!codes.includes(code)) codes.push(code);
    byStatus.set(status, codes);
  }
  return [...byStatus.entries()].sort(([a], [b]) => a - b).map(([status, codes]) => [String(status), codes]);
}

function content(body: BodyDescriptor, io: 'input' | 'output'): Record<string, MediaTypeObject> {
  return { [body.contentType]: { schema: jsonSchema(body.schema, io), examples: examplesOf(body.examples) } };
}

function examplesOf(examples: Readonly<Record<string, Example>>): Record<string, ExampleObject> {
  return Object.fromEntries(
    Object.entries(examples).map(([name, example]) => [name, { summary: example.summary, ...(example.source ? { description: `Source: ${example.source}` } : {}), value: example.value }]),
  );
}

function parametersOf(schema: z.ZodObject | undefined, location: ParameterObject['in'], examples?: Readonly<Record<string, Example<Readonly<Record<string, string>>>>>): ParameterObject[] {
  if (!schema) return [];
  const object = jsonSchema(schema, 'input');
  const properties = (object.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...propertySchema } = property;
    const named = examples ? Object.entries(examples).filter(([, example]) => example.value[name] !== undefined) : [];
    return {
      name,
      in: location,
      // OpenAPI: a path parameter is always required.
      required: location === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: propertySchema,
      ...(named.length > 0 ? { examples: Object.fromEntries(named.map(([exampleName, example]) => [exampleName, { summary: example.summary, value: example.value[name] }])) } : {}),
    };
  });
}

/**
 * A zod schema as JSON Schema 2020-12: requests as they are sent (`input`: before defaults and
 * transforms), answers as they leave (`output`). What JSON Schema cannot say (a refinement, a
 * transform's result) is left open rather than refused.
 */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  return rest;
}

/** `/v1/notifications/:id` → `/v1/notifications/{id}` (a Hono pattern `:name{regex}` too). */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}');
}

/** How `/openapi.json` and `/docs` describe themselves. */
export const documentationRoutes: readonly RouteDescriptor[] = [
  {
    method: 'GET',
    path: '/openapi.json',
    operationId: 'openApiDocument',
    tag: 'documentation',
    summary: 'This API as an OpenAPI 3.1 document',
    description: 'What this gateway serves, made from the schemas its routes validate with: a route this deployment does not serve (no report keys configured, a payment API not configured) is not listed.',
    security: [],
    responses: { 200: { description: 'The document.', body: { contentType: 'application/json', schema: z.looseObject({ openapi: z.literal('3.1.0') }), examples: {} } } },
    errors: [],
  },
  {
    method: 'GET',
    path: '/docs',
    operationId: 'referencePage',
    tag: 'documentation',
    summary: 'This API as a reference page',
    description: 'The same document as a plain HTML page, served by the gateway itself: no script, nothing fetched from elsewhere.',
    security: [],
    responses: { 200: { description: 'The page.', body: { contentType: 'text/html', schema: z.string(), examples: {} } } },
    errors: [],
  },
];

/**
 * `GET /openapi.json` and `GET /docs`. Mounted last: the document is made at the first request
 * from everything described by then, so routes mounted after `createApp` (the dashboard) are in it.
 */
export function registerApiDocs(app: Hono, info: DocumentInfo = {}): void {
  describeRoutes(app, ...documentationRoutes);
  let document: OpenApiDocument | undefined;
  let page: { html: string; policy: Promise<string> } | undefined;
  const current = () => (document ??= openApiDocument(describedRoutes(app), info));
  app.get('/openapi.json', (c) => c.json(current()));
  app.get('/docs', async (c) => {
    if (!page) {
      const html = renderDocsPage(current());
      page = { html, policy: docsPageSecurityPolicy(html) };
    }
    return c.html(page.html, 200, { 'content-security-policy': await page.policy, 'x-frame-options': 'DENY' });
  });
}
