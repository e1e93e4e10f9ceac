/** Kept for test/payments/routing.test.ts, which imports the FedaPay fake by this older name. */
export { FAKE_FEDAPAY_SECRET_KEY, startFakeFedapay, type FakeTransaction } from './fedapay.js';
