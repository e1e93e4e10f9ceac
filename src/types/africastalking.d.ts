/** The part of the `africastalking` SDK (0.8, untyped; the published @types are wrong) Guichet uses. */
declare module 'africastalking' {
  import type { AfricasTalkingSend } from '../../providers/africastalking/sms.js';
  function AfricasTalking(options: { apiKey: string; username: string }): { SMS: { send: AfricasTalkingSend } };
  export default AfricasTalking;
}
