import type { z } from 'zod';
import type { ApiErrorCode } from './errors.js';

/**
 * What the OpenAPI description (`src/http/openapi.ts`) knows of one operation: the route's own
 * zod schemas (the ones it validates with, or for a provider's wire format the ones its samples
 * are checked against), the security it needs, its answers with examples, and the error codes it
 * answers. Each route file exports its descriptors and hands them to `describeRoutes` next to
 * where it registers the route, so a route added later (a provider's callback, `/admin`) is
 * described the same way, in its own file.
 */
export interface RouteDescriptor {
  method: HttpMethod;
  /**
   * The path as documented, in Hono's syntax (`/v1/notifications/:id`). For an operation of one
   * provider behind a shared route, that provider's own path (`/ussd/hubtel`), with `servedBy`.
   */
  path: string;
  /** The Hono route pattern that serves `path`, when not `path` itself (`/ussd/:provider`). */
  servedBy?: string;
  /** Unique in the document: the name a client generator gives the call. */
  operationId: string;
  /** The group it is listed under (`notifications`, `ussd`, `health` …), one of `API_TAGS`. */
  tag: ApiTag;
  summary: string;
  /** Markdown-free prose: the reference page shows it as written. */
  description: string;
  /**
   * Alternatives, any one of which lets the call in; each alternative lists the schemes it needs
   * together. `[]`: open. An empty alternative (`[]` inside) says configuration may leave it open.
   */
  security: readonly (readonly SecurityScheme[])[];
  request?: {
    path?: z.ZodObject;
    query?: z.ZodObject;
    /** Whole queries as sent, checked against `query` (a GET callback's wire samples). */
    queryExamples?: Readonly<Record<string, Example<Readonly<Record<string, string>>>>>;
    headers?: z.ZodObject;
    body?: BodyDescriptor;
  };
  /** Success and other non-envelope answers, by HTTP status. */
  responses: Readonly<Record<number, ResponseDescriptor>>;
  /** The envelope's codes (`src/http/errors.ts`) it answers, each with its own status unless given. */
  errors: readonly ErrorOutcome[];
  /** Every call is written to the audit log (`src/audit/`). */
  audited?: boolean;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The groups of the reference page, in its order. */
export const API_TAGS = {
  notifications: 'Agencies send citizens an SMS and follow its delivery.',
  surveys: 'Agencies ask citizens for a 1–5 rating of a service and read the anonymous results.',
  payments: 'The finance team’s daily reconciliation.',
  'access-log': 'Who looked at a citizen’s file: their tamper-evident access log, for the agencies allowed to export it.',
  ussd: 'What each USSD operator or aggregator sends us for every screen of a session, and what we answer.',
  sms: 'What each SMS route sends us: citizens’ messages and delivery reports.',
  'payment-callbacks': 'What each mobile-money API sends us when a payment moves.',
  health: 'For load balancers, orchestrators and Prometheus.',
  documentation: 'This description.',
} as const;
export type ApiTag = keyof typeof API_TAGS;

/** A sample of what is really sent (a provider's documentation or a capture) or answered. */
export interface Example<T = unknown> {
  summary: string;
  value: T;
  /** Where the sample was read; values chosen by us are said to be. */
  source?: string;
}

export interface BodyDescriptor {
  /** The media type as sent, without parameters (`application/x-www-form-urlencoded`). */
  contentType: string;
  /** For a form, the fields as an object of strings; for text, the whole text. */
  schema: z.ZodType;
  examples: Readonly<Record<string, Example>>;
}

export interface ResponseDescriptor {
  description: string;
  /** Absent: no body (or an empty one). */
  body?: BodyDescriptor;
  headers?: Readonly<Record<string, { description: string; schema: z.ZodType }>>;
}

/** An envelope code this route answers, alone (its own status) or with one of the code's statuses. */
export type ErrorOutcome = ApiErrorCode | readonly [ApiErrorCode, number];

/**
 * A way to prove who calls, named as it appears in `components.securitySchemes`: a route that
 * brings its own (a provider's signature header) declares it here, beside the route.
 */
export interface SecurityScheme {
  name: string;
  scheme: { type: 'apiKey'; in: 'header' | 'query'; name: string; description: string } | { type: 'http'; scheme: 'bearer'; description: string };
}

/** Anything with Hono's route table: a `Hono` app of whatever environment type. */
export interface RouteTable {
  routes: readonly { method: string; path: string }[];
}

const described = new WeakMap<RouteTable, RouteDescriptor[]>();

/**
 * Adds descriptors to the app's description. Called by the code that registers the routes, with
 * what it registers: the description then lists exactly what this gateway serves (no report
 * route where `REPORT_API_KEYS` is unset, one USSD path per dialect it loaded).
 */
export function describeRoutes(app: RouteTable, ...descriptors: readonly RouteDescriptor[]): void {
  const list = described.get(app) ?? [];
  list.push(...descriptors);
  described.set(app, list);
}

/** What `describeRoutes` was given for this app, in order. */
export function describedRoutes(app: RouteTable): readonly RouteDescriptor[] {
  return described.get(app) ?? [];
}

/** The Hono route a descriptor stands for: `POST /ussd/:provider`. */
export function servingRoute(descriptor: RouteDescriptor): string {
  return `${descriptor.method} ${descriptor.servedBy ?? descriptor.path}`;
}

/** A JSON body with its examples. */
export function jsonBody<T extends z.ZodType>(schema: T, examples: Readonly<Record<string, Example<z.input<T> | z.output<T>>>>): BodyDescriptor {
  return { contentType: 'application/json', schema, examples };
}
