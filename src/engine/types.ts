import type { Language } from './schema.js';

/** Where a citizen is in a menu. Small on purpose: it is stored on every hop. */
export interface EngineState {
  menuId: string;
  /** The menu version the session started on; reloads never change it mid-session. */
  menuVersion: string;
  node: string;
  /** Screen nodes walked to get here, for `0`. */
  back: string[];
  vars: Record<string, string>;
  language: Language;
  page: number;
}

export interface Screen {
  text: string;
  /** True closes the session (END); false waits for input (CON). */
  end: boolean;
}

/** What the caller must do for the engine: call a service, then `resume` with its outcome. */
export interface ServiceCall {
  service: string;
  args: Record<string, string>;
}

export interface ServiceOutcome {
  /** Chooses the branch of the action node: `ok`, `not_found`, `timeout`, `error`, … */
  outcome: string;
  /** Variables the following screens may show. */
  values?: Record<string, string | number>;
}

/** Side effects the caller applies once the hop is committed. */
export type Effect = { type: 'setLanguage'; language: Language };

export type Step =
  /**
   * `refused`: the input was not taken (no such option, or it did not validate) and the same
   * screen is shown again with the reason on top; counted by the funnels, never stored.
   */
  | { type: 'screen'; screen: Screen; state: EngineState; effects: Effect[]; refused?: true }
  | { type: 'call'; call: ServiceCall; state: EngineState; effects: Effect[] };

/** Per-hop facts from the channel that templates and limits need. */
export interface HopContext {
  msisdn: string;
  /** Screen size in GSM-7 characters for the provider serving this hop. */
  screenLimit: number;
}
