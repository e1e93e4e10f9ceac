import { z } from 'zod';
import { paymentApi, type ProviderManifest } from '../manifest.js';
import { createSandboxPaymentProvider, type SandboxOptions } from './payment.js';

/** `SANDBOX_APPROVE_AFTER_MS`: how long the imaginary citizen takes to type the PIN (3 s by default). */
const sandboxEnv = z
  .object({ SANDBOX_APPROVE_AFTER_MS: z.coerce.number().int().min(0).default(3000) })
  .transform((e): SandboxOptions => ({ approveAfterMs: e.SANDBOX_APPROVE_AFTER_MS }));

/** The embedded demo's payment API (`PAYMENT_PROVIDER=sandbox`, the default): no money moves. */
export const sandboxPayment: ProviderManifest = {
  name: 'sandbox-payment',
  payment: paymentApi({ name: 'sandbox', env: sandboxEnv, create: createSandboxPaymentProvider }),
};
