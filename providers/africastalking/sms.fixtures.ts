/**
 * Africa's Talking SMS wire samples, from AT's documentation:
 * - send answers: https://developers.africastalking.com/docs/sms/sending (the sample response
 *   `{"SMSMessageData":{"Message":"Sent to 1/1 Total Cost: KES 0.8000","Recipients":[{"statusCode":101,…}]}}`
 *   and the statusCode table 100–502);
 * - the 409 DoNotDisturbRejection answer: https://developers.africastalking.com/docs/sms/notifications
 *   (its "Example Response", verbatim);
 * - delivery report and incoming message fields: the same notifications page.
 * Samples whose values (not shape) we chose are marked `inferred`. Used by test/sms-wire.test.ts.
 */
import type { AfricasTalkingSendResult } from './sms.js';

const recipient = (statusCode: number, status: string, number = '+2290197000001', cost = 'XOF 15.0000', messageId = 'ATXid_3b9f0c2e7d5a4c1b') => ({
  SMSMessageData: { Message: statusCode < 200 ? 'Sent to 1/1 Total Cost: XOF 15.0000' : 'Sent to 0/1 Total Cost: 0', Recipients: [{ statusCode, number, status, cost, messageId }] },
});

export const AT_SEND_ANSWERS: readonly { name: string; answer: AfricasTalkingSendResult; outcome: 'accepted' | 'permanent' | 'configuration' | 'transient' }[] = [
  { name: 'docs sample: 101 Success', answer: { SMSMessageData: { Message: 'Sent to 1/1 Total Cost: KES 0.8000', Recipients: [{ statusCode: 101, number: '+254711XXXYYY', status: 'Success', cost: 'KES 0.8000', messageId: 'ATPid_SampleTxnId123' }] } }, outcome: 'accepted' },
  { name: 'docs example: 409 DoNotDisturbRejection', answer: { SMSMessageData: { Message: 'Sent to 0/1 Total Cost: 0', Recipients: [{ cost: '0', messageId: 'None', number: '+2348XXXXXXX', status: 'DoNotDisturbRejection', statusCode: 409 }] } }, outcome: 'permanent' },
  { name: '100 Processed (inferred values)', answer: recipient(100, 'Processed'), outcome: 'accepted' },
  { name: '102 Queued (inferred values)', answer: recipient(102, 'Queued'), outcome: 'accepted' },
  { name: '401 RiskHold (inferred values)', answer: recipient(401, 'RiskHold', undefined, '0', 'None'), outcome: 'configuration' },
  { name: '402 InvalidSenderId (inferred values)', answer: recipient(402, 'InvalidSenderId', undefined, '0', 'None'), outcome: 'configuration' },
  { name: '403 InvalidPhoneNumber (inferred values)', answer: recipient(403, 'InvalidPhoneNumber', undefined, '0', 'None'), outcome: 'permanent' },
  { name: '405 InsufficientBalance (inferred values)', answer: recipient(405, 'InsufficientBalance', undefined, '0', 'None'), outcome: 'configuration' },
  { name: '406 UserInBlacklist (inferred values)', answer: recipient(406, 'UserInBlacklist', undefined, '0', 'None'), outcome: 'permanent' },
  { name: '500 InternalServerError (inferred values)', answer: recipient(500, 'InternalServerError', undefined, '0', 'None'), outcome: 'transient' },
  { name: '418, not in the docs: unmapped (inferred)', answer: recipient(418, 'SomethingNew', undefined, '0', 'None'), outcome: 'permanent' },
];

/** Delivery report form fields (notifications page: id, status, phoneNumber, networkCode, failureReason, retryCount); values inferred. */
export const AT_DELIVERY_REPORTS: readonly { form: Record<string, string>; status: 'sent' | 'delivered' | 'failed' | 'expired' | undefined }[] = [
  { form: { id: 'ATXid_3b9f0c2e7d5a4c1b', status: 'Submitted', phoneNumber: '+2290197000001', networkCode: '99999', retryCount: '0' }, status: 'sent' },
  { form: { id: 'ATXid_3b9f0c2e7d5a4c1b', status: 'Buffered', phoneNumber: '+2290197000001', networkCode: '99999', retryCount: '0' }, status: 'sent' },
  { form: { id: 'ATXid_3b9f0c2e7d5a4c1b', status: 'Success', phoneNumber: '+2290197000001', networkCode: '99999', retryCount: '0' }, status: 'delivered' },
  { form: { id: 'ATXid_3b9f0c2e7d5a4c1b', status: 'Failed', phoneNumber: '+2290197000001', networkCode: '99999', failureReason: 'UserInBlackList', retryCount: '0' }, status: 'failed' },
  { form: { id: 'ATXid_3b9f0c2e7d5a4c1b', status: 'Rejected', phoneNumber: '+2290197000001', networkCode: '99999', failureReason: 'DeliveryFailure', retryCount: '0' }, status: 'failed' },
  { form: { id: 'ATXid_3b9f0c2e7d5a4c1b', status: 'Expired', phoneNumber: '+2290197000001', networkCode: '99999', retryCount: '0' }, status: 'expired' },
];

/** Incoming message form fields (notifications page: date, from, id, linkId, text, to, networkCode); values inferred. */
export const AT_INBOUND = { date: '2026-11-23 08:51:12', from: '+2290197000001', id: '8f5c2a1e-4b7d-4e2a-9c3f-1d2e3f4a5b6c', linkId: '', text: 'STATUT PS00373-240001', to: '7070', networkCode: '99999' } as const;
