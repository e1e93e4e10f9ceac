/** The part of the `smpp` package (0.5, untyped) that Guichet uses. */
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer } from 'node:net';

  export interface Pdu {
    command: string;
    command_status: number;
    sequence_number: number;
    [field: string]: unknown;
    isResponse(): boolean;
    response(options?: Record<string, unknown>): Pdu;
  }

  export class PDU {
    constructor(command: string, options?: Record<string, unknown>);
  }
  // Declaration merging: a PDU instance has every member of `Pdu`.
  export interface PDU extends Pdu {}

  export interface Session extends EventEmitter {
    send(pdu: Pdu, responseCallback?: (response: Pdu) => void, sendCallback?: () => void): boolean;
    close(callback?: () => void): void;
    destroy(callback?: () => void): void;
    pause(): void;
    resume(): void;
    socket: import('node:net').Socket;
  }

  export interface ConnectOptions {
    url?: string;
    host?: string;
    port?: number;
    auto_enquire_link_period?: number;
  }

  export function connect(options: ConnectOptions | string, callback?: () => void): Session;
  export function createServer(listener: (session: Session) => void): NetServer;

  export const ESME_ROK: number;
  export const ESME_RTHROTTLED: number;
  export const ESME_RMSGQFUL: number;
  export const ESME_RBINDFAIL: number;
  export const ESME_RSYSERR: number;
}
