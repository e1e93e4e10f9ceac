import type { FeeDue, PaymentNotice, PortalClient, PortalRequest } from './port.js';

/** Phone number that owns the demo requests (the README's walk-through dials from it). */
export const DEMO_MSISDN = '+2290197000001';

export interface DemoRequest extends PortalRequest {
  amountXof: number;
  paid: boolean;
  /** The holder's NPI and birth date (DDMMYYYY), for the identity check. Invented. */
  holderNpi: string;
  holderBirthDate: string;
}

/**
 * Sample requests covering every workflow state, so the embedded default can be tried at once.
 * PS00373 (criminal-record extract, 1,900 XOF) is the portal's real code and fee; the passport
 * and birth-certificate codes and fees are placeholders.
 */
const HOLDER = { holderMsisdn: DEMO_MSISDN, holderNpi: '1234567890', holderBirthDate: '15031990' };
export const DEMO_REQUESTS: readonly DemoRequest[] = [
  { requestNumber: 'PS00373-240001', serviceCode: 'PS00373', status: 'ready', updatedAt: '2026-11-20', collectAt: 'CCSP Cotonou 1', ...HOLDER, amountXof: 1900, paid: true },
  { requestNumber: 'PS00373-240002', serviceCode: 'PS00373', status: 'submitted', updatedAt: '2026-11-22', ...HOLDER, amountXof: 1900, paid: false },
  { requestNumber: 'PS00200-240003', serviceCode: 'PS00200', status: 'under_review', updatedAt: '2026-11-18', ...HOLDER, amountXof: 30000, paid: true },
  { requestNumber: 'PS00150-240004', serviceCode: 'PS00150', status: 'info_requested', updatedAt: '2026-11-19', ...HOLDER, amountXof: 500, paid: false },
  { requestNumber: 'PS00200-240005', serviceCode: 'PS00200', status: 'rejected', updatedAt: '2026-11-10', holderMsisdn: '+2290166000002', holderNpi: '9876543210', holderBirthDate: '01012000', amountXof: 30000, paid: false },
];

export interface DemoPortal extends PortalClient {
  /** Payments recorded, once each, in the order they were first told. */
  readonly payments: readonly PaymentNotice[];
}

/** An in-memory portal for the embedded default and for tests. */
export function createDemoPortal(requests: readonly DemoRequest[] = DEMO_REQUESTS): DemoPortal {
  const byNumber = new Map(requests.map((r) => [r.requestNumber, { ...r }]));
  const payments: PaymentNotice[] = [];
  return {
    payments,
    async recordPayment(notice) {
      if (payments.some((p) => p.paymentId === notice.paymentId)) return;
      const request = byNumber.get(notice.requestNumber);
      if (!request) throw new Error(`demo portal: no request ${notice.requestNumber}`);
      request.paid = true;
      payments.push(notice);
    },
    async findRequest(requestNumber) {
      const found = byNumber.get(requestNumber);
      if (!found) return null;
      const { amountXof: _amount, paid: _paid, holderNpi: _npi, holderBirthDate: _birth, ...request } = found;
      return request;
    },
    async verifyIdentity(requestNumber, claim) {
      const found = byNumber.get(requestNumber);
      return found !== undefined && found.holderNpi === claim.npi && found.holderBirthDate === claim.birthDate;
    },
    async feeDue(requestNumber): Promise<FeeDue | null> {
      const found = byNumber.get(requestNumber);
      if (!found) return null;
      return { requestNumber, serviceCode: found.serviceCode, amountXof: found.amountXof, paid: found.paid };
    },
  };
}
