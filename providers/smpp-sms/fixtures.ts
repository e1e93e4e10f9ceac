/**
 * SMPP delivery receipt samples in the format of SMPP v3.4 Issue 1.2, Appendix B
 * ("id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E
 * Text: …", stat values from its table B-2: DELIVRD EXPIRED DELETED UNDELIV ACCEPTD UNKNOWN REJECTD),
 * and the `message_state` TLV of §5.3.2.35. The ids and dates are ours (inferred values in the
 * spec's format). The loopback SMSC in the tests sends these same texts. Used by test/sms-wire.test.ts.
 */
export const receiptText = (id: string, stat: string) => `id:${id} sub:001 dlvrd:${stat === 'DELIVRD' ? '001' : '000'} submit date:2611230850 done date:2611230851 stat:${stat} err:000 Text:Service Public: vo`;

export const SMPP_RECEIPTS: readonly { text: string; tlv?: { receipted_message_id?: string; message_state?: number }; providerMessageId: string; status: 'sent' | 'delivered' | 'failed' | 'expired' | undefined }[] = [
  { text: receiptText('0123456789', 'DELIVRD'), providerMessageId: '0123456789', status: 'delivered' },
  { text: receiptText('0123456789', 'UNDELIV'), providerMessageId: '0123456789', status: 'failed' },
  { text: receiptText('0123456789', 'REJECTD'), providerMessageId: '0123456789', status: 'failed' },
  { text: receiptText('0123456789', 'DELETED'), providerMessageId: '0123456789', status: 'failed' },
  { text: receiptText('0123456789', 'EXPIRED'), providerMessageId: '0123456789', status: 'expired' },
  { text: receiptText('0123456789', 'ACCEPTD'), providerMessageId: '0123456789', status: 'sent' },
  { text: receiptText('0123456789', 'ENROUTE'), providerMessageId: '0123456789', status: 'sent' },
  // UNKNOWN is a state the spec lists: noted in the history, never final.
  { text: receiptText('0123456789', 'UNKNOWN'), providerMessageId: '0123456789', status: undefined },
  // SMPP 3.4 §5.3.2.35: the TLVs win over the text (2 DELIVERED).
  { text: receiptText('0123456789', 'ENROUTE'), tlv: { receipted_message_id: 'A1B2C3', message_state: 2 }, providerMessageId: 'A1B2C3', status: 'delivered' },
];
