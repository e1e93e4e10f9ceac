/**
 * The text of a `short_message` (or `message_payload`): the smpp package decodes it to
 * `{message}` by `data_coding`, leaves a Buffer where it cannot, or a string when sent as one.
 */
export function messageText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
  if (typeof value === 'object' && value !== null && 'message' in value) return messageText((value as { message: unknown }).message);
  return '';
}
