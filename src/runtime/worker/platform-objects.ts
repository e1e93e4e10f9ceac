// The Durable Object classes of the platform adapters, exported from the Worker's entry so that
// wrangler.toml's bindings (PAYMENTS, SMS_MESSAGES, INDEXES, JOBS_SEEN, RATE_LIMITS, CAREER_ENROLMENTS) find them.
export { PaymentRequestObject } from '../../payments/store/durable-object.js';
export { SmsMessageObject } from '../../sms/store/durable-object.js';
export { DurableIndexObject } from '../../lib/durable-objects.js';
export { JobObject } from '../../jobs/cloudflare-queues.js';
export { RateLimitObject } from '../../limits/rate/durable-object.js';
export { CareerEnrolmentObject } from '../../careers/enrolment/durable-object.js';
