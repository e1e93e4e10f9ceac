import { GENESIS, type AccessEntry, type ChainedEntry } from './port.js';

const HEX = /^[0-9a-f]{64}$/;

/** Fields in a fixed order so the hash does not depend on how an object was built. */
function canonical(seq: number, prev: string, entry: AccessEntry): string {
  return JSON.stringify([seq, prev, entry.channel, entry.caller, entry.agency, entry.at, entry.subject]);
}

/** Hex SHA-256 of a text's UTF-8; a runtime may give a faster one with the same digests (Node: `node:crypto`). */
export type Sha256Hex = (text: string) => Promise<string>;

/** SHA-256 through WebCrypto (the core stays Node-free: Workers and Node 20 both have it). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function chainEntry(previous: ChainedEntry | null, entry: AccessEntry, sha256: Sha256Hex = sha256Hex): Promise<ChainedEntry> {
  const seq = previous ? previous.seq + 1 : 1;
  const prev = previous ? previous.hash : GENESIS;
  const plain: AccessEntry = {
    channel: entry.channel,
    caller: entry.caller,
    agency: entry.agency,
    at: entry.at,
    subject: entry.subject,
  };
  return { ...plain, seq, prev, hash: await sha256(canonical(seq, prev, plain)) };
}

export type ChainVerdict = { ok: true; entries: number } | { ok: false; index: number; reason: string };

/**
 * Checks a holder's kept entries, oldest first: each hash recomputes, each `prev` is the hash
 * before it and `seq` goes up by one. An edited entry fails its own hash; a removed or reordered
 * one breaks the link or the sequence. The oldest kept entry may follow trimmed ones (retention),
 * so its `prev` is trusted only if it is GENESIS at seq 1 or a well-formed hash after seq 1.
 */
export async function verifyChain(entries: readonly ChainedEntry[]): Promise<ChainVerdict> {
  for (let index = 0; index < entries.length; index++) {
    const e = entries[index]!;
    if (!Number.isInteger(e.seq) || e.seq < 1) return { ok: false, index, reason: 'bad sequence number' };
    if (index === 0) {
      if (e.seq === 1 ? e.prev !== GENESIS : !HEX.test(e.prev)) return { ok: false, index, reason: 'bad first link' };
    } else {
      const before = entries[index - 1]!;
      if (e.seq !== before.seq + 1) return { ok: false, index, reason: 'sequence gap or reorder' };
      if (e.prev !== before.hash) return { ok: false, index, reason: 'broken link' };
    }
    if ((await sha256Hex(canonical(e.seq, e.prev, e))) !== e.hash) return { ok: false, index, reason: 'entry edited' };
  }
  return { ok: true, entries: entries.length };
}

/** The export format: one JSON object per line, oldest first, chain fields included. */
export function toJsonLines(entries: readonly ChainedEntry[]): string {
  return entries.map((e) => JSON.stringify(e)).join('\n') + (entries.length > 0 ? '\n' : '');
}

export function parseJsonLines(text: string): ChainedEntry[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ChainedEntry);
}
