import type { ServiceOutcome } from '../engine/types.js';
import type { Language } from '../engine/schema.js';

/** What a service knows of the hop that called it. */
export interface ServiceContext {
  /** E.164 number of the caller, as normalised by the channel. */
  msisdn: string;
  language: Language;
  /** Aborted when the hop's time budget is spent. */
  signal: AbortSignal;
}

/** A named service a menu's action node may call, e.g. `portal.requestStatus`. */
export type ServiceHandler = (args: Readonly<Record<string, string>>, ctx: ServiceContext) => Promise<ServiceOutcome>;

export type ServiceRegistry = Readonly<Record<string, ServiceHandler>>;
