/**
 * What the sandbox SMS route would have sent, kept for the web simulator only: on the embedded
 * default nothing leaves the machine, so a person trying a flow that sends a code by SMS (career
 * enrolment on *123*7#) reads it beside the phone instead. In memory, bounded (the newest few per
 * number, for a quarter of an hour, a thousand numbers at most), and never logged. Only the sandbox
 * route writes here, so no text a real route delivered is ever shown.
 */
export interface SandboxSms {
  text: string;
  /** Epoch ms the route was handed the message. */
  atMs: number;
}

export class SandboxInbox {
  private readonly byNumber = new Map<string, SandboxSms[]>();

  constructor(
    private readonly keepMs = 15 * 60_000,
    private readonly perNumber = 5,
    private readonly maxNumbers = 1000,
  ) {}

  record(to: string, text: string, atMs: number): void {
    const kept = (this.byNumber.get(to) ?? []).filter((m) => m.atMs > atMs - this.keepMs);
    kept.push({ text, atMs });
    this.byNumber.delete(to);
    this.byNumber.set(to, kept.slice(-this.perNumber));
    if (this.byNumber.size > this.maxNumbers) this.byNumber.delete(this.byNumber.keys().next().value as string);
  }

  /** The number's messages still kept, newest first. */
  recent(to: string, nowMs: number): SandboxSms[] {
    return (this.byNumber.get(to) ?? []).filter((m) => m.atMs > nowMs - this.keepMs).reverse();
  }
}
