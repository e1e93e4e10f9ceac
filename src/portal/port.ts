import type { AccessChannel } from '../access-log/port.js';

/**
 * The port to the national e-services portal. The built-in demo portal implements it for the
 * embedded default; the interoperability (X-Road/UXP) client implements it for production.
 */

/** A request's workflow state, as the public catalogue describes it. */
export const REQUEST_STATUSES = ['submitted', 'under_review', 'info_requested', 'ready', 'rejected'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export interface PortalRequest {
  /** `PS00373-240001`: the e-service code and the request's own number. */
  requestNumber: string;
  /** The e-service, e.g. `PS00373` (criminal-record extract). */
  serviceCode: string;
  status: RequestStatus;
  /** ISO date (YYYY-MM-DD) of the last change. */
  updatedAt: string;
  /** Where to collect the document once ready. */
  collectAt?: string;
  /** E.164 number the request was filed with: only that number may see its status. */
  holderMsisdn: string;
}

export interface FeeDue {
  requestNumber: string;
  serviceCode: string;
  /** Integer, XOF has no minor unit. */
  amountXof: number;
  paid: boolean;
}

/** A fee paid by mobile money, as the portal is told about it. */
export interface PaymentNotice {
  /** Guichet's payment id: the portal's idempotency key, so telling twice records once. */
  paymentId: string;
  requestNumber: string;
  amountXof: number;
  /** Payment API that collected it (`mtn-momo`, `fedapay`, …). */
  provider: string;
  providerTransactionId: string;
  /** ISO timestamp of the provider's success. */
  paidAt: string;
}

/** What a caller who is not the request's phone number can prove. */
export interface IdentityClaim {
  /** Numéro Personnel d'Identification: 10 digits. */
  npi: string;
  /** DDMMYYYY, as typed on a keypad. */
  birthDate: string;
}

/** How a question is asked: its time budget and on whose behalf. */
export interface PortalCall {
  /** Aborted when the caller's time budget is spent. */
  signal?: AbortSignal;
  /**
   * The citizen on whose behalf the portal is asked (E.164), sent as `X-Road-UserId` so the
   * portal's own audit trail says who looked; never written to Guichet's logs.
   */
  userId?: string;
  /**
   * How the citizen asked (`ussd`, `sms`): the access log (`src/access-log/recorder.ts`) writes
   * it in the holder's entry. Absent: asked by a program, written as `api`.
   */
  channel?: AccessChannel;
}

export interface PortalClient {
  /** The request, or null when the portal has no such number. */
  findRequest(requestNumber: string, call?: PortalCall): Promise<PortalRequest | null>;
  /** The fee attached to a request, or null when the portal has no such number. */
  feeDue(requestNumber: string, call?: PortalCall): Promise<FeeDue | null>;
  /** Whether the claim matches the holder of the request (false too when there is no such request). */
  verifyIdentity(requestNumber: string, claim: IdentityClaim, call?: PortalCall): Promise<boolean>;
  /**
   * Records a paid fee. Idempotent by `paymentId`: resolves once the portal has acknowledged
   * (first time or again); rejects when it has not, so the caller retries.
   */
  recordPayment(notice: PaymentNotice, call?: PortalCall): Promise<void>;
}
