/**
 * The part of `fetch` the outbound API clients use (the X-Road / UXP portal client, the payment
 * providers): a URL, a method, string headers, a string body, a signal; an answer's status, its
 * headers by name, its body as text or JSON. The global `fetch` is one (Workers keep it); the Node
 * runtime hands the clients `keepAliveFetch` (`src/runtime/node/http-client.ts`), which skips the
 * WHATWG Request/Response and stream objects that a `fetch` call builds for these small answers.
 * Web-standard types only: the core and the Worker import this file.
 */
export interface HttpRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Aborts the call (a deadline, the caller giving up): the promise rejects with the signal's reason, as `fetch` does. */
  signal?: AbortSignal;
}

export interface HttpAnswer {
  readonly status: number;
  /** 200–299, as `Response.ok`. */
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
  json(): Promise<unknown>;
}

/**
 * An outbound HTTP call. A failure before any answer rejects with a `TypeError` whose `cause` is the
 * transport's error (its `code`: `ECONNREFUSED`, …), as `fetch` does, so `nothingSent`
 * (`src/lib/fetch-failure.ts`) reads both alike.
 */
export type HttpFetch = (url: string, init?: HttpRequestInit) => Promise<HttpAnswer>;
