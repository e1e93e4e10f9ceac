import type { Menu, MenuNode } from '../../engine/schema.js';
import type { EngineState } from '../../engine/types.js';
import type { SessionEndReason } from './port.js';
import { identityProofVars, withoutVars } from './proof-vars.js';
import type { UssdSessionRecord } from './session-record.js';

/**
 * Resuming a dropped session (issue 16): a caller who redials the same code within the window after
 * the network cut the session (a time-out, an abort, or silence until the session's time-out) is
 * offered to pick up where they were. What may be restored, and what is asked again, is decided
 * here; the hop handler only finds the dropped session and stores the offer.
 *
 * How a redial finds its dropped session: every opening swaps "this caller's last session on this
 * code" (`resumePointerKey`) for its own session key, in one atomic step (`SessionStore.exchange`,
 * sent beside the session load: no extra round trip). The key it is handed back names the
 * previous session, whose own record is the resume record: kept past the drop for the window and
 * no longer. So nothing is written on an ordinary hop, the pointer once per session, and a drop is
 * resumed at most once (only one opening is ever handed the old key).
 */

/** Ends a session can be resumed after: the network cut it (or we were too late), never a normal END. */
export const RESUMABLE_ENDS: ReadonlySet<SessionEndReason> = new Set(['user_aborted', 'network_timeout', 'app_timeout']);

/**
 * Services that take money once confirmed: a session resting past the screen that leads to one is
 * rewound to that screen, so the confirmation is asked again and never taken for granted.
 */
export const PAYMENT_CONFIRMING_SERVICES: readonly string[] = ['payments.start'];

/**
 * How long a pointer lives: the longest USSD dialogue a network keeps open (MTN and Moov close
 * theirs within 3 minutes; 10 is far beyond) plus the window. A pointer that outlives its session
 * points at nothing and costs that caller's next opening one load.
 */
export const MAX_DIALOGUE_SECONDS = 600;

/** The caller's last session on one short code. Another code (another agency's menu) has its own pointer. */
export function resumePointerKey(serviceCode: string, msisdn: string): string {
  return `resume:${serviceCode}:${msisdn}`;
}

/**
 * The state a dropped session may be resumed at, or null when there is nothing worth offering
 * (it was on the home screen). Rewinds:
 * - to the first identity-proof prompt on the way (`npi`, birth date), keeping only what the
 *   citizen typed or chose before it: the proof and whatever it unlocked are asked for again;
 * - else to the first payment confirmation on the way if the session is past it (paying from
 *   another number), dropping what was typed after it: the confirmation is asked again.
 * Proof variables never survive, whatever the rewind.
 */
export function resumableState(menu: Menu, state: EngineState): EngineState | null {
  const proof = identityProofVars(menu);
  const path = [...state.back, state.node];
  let rewound: EngineState = withoutVars({ ...state }, proof.all);
  for (const [index, nodeId] of path.entries()) {
    const node = menu.nodes[nodeId];
    if (!node) return null;
    if (node.type === 'input' && proof.all.has(node.store)) {
      const collected = collectedBefore(menu, path.slice(0, index));
      const vars: Record<string, string> = {};
      for (const [name, value] of Object.entries(state.vars)) if (collected.has(name) && !proof.all.has(name)) vars[name] = value;
      rewound = { ...state, node: nodeId, back: path.slice(0, index), vars, page: 0 };
      break;
    }
    if (index < path.length - 1 && confirmsPayment(menu, node)) {
      const typedAfter = collectedBefore(menu, path.slice(index + 1));
      const vars: Record<string, string> = {};
      for (const [name, value] of Object.entries(state.vars)) if (!typedAfter.has(name) && !proof.all.has(name)) vars[name] = value;
      rewound = { ...state, node: nodeId, back: path.slice(0, index), vars, page: 0 };
      break;
    }
  }
  if (rewound.node === menu.start && rewound.back.length === 0) return null;
  return rewound;
}

/**
 * Whether `record`, the caller's previous session on this code, may be offered for resuming now:
 * the same caller, the same agency's menu (still loadable at its version), cut by the network (or
 * left silent: a redial proves its dialogue is over), never itself an offer, never at its survey.
 */
export function resumeCandidate(record: UssdSessionRecord | null, msisdn: string, menu: Menu, oldMenu: Menu | undefined): EngineState | null {
  if (!record || record.c !== msisdn || record.e.menuId !== menu.id || !oldMenu) return null;
  // An offer, an END, or the survey after the menu's END: nothing of the menu is left to resume.
  if (record.b !== undefined || record.v !== undefined || record.s.end) return null;
  if (record.x !== undefined && !RESUMABLE_ENDS.has(record.x)) return null;
  return resumableState(oldMenu, record.e);
}

/** Variables a walk along these screens set from what the citizen typed or chose. */
function collectedBefore(menu: Menu, path: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const nodeId of path) {
    const node = menu.nodes[nodeId];
    if (node?.type === 'input') names.add(node.store);
    if (node?.type === 'choice') for (const option of node.options) for (const name of Object.keys(option.set ?? {})) names.add(name);
  }
  return names;
}

/** A screen from which one answer (an option, or an input) starts a payment. */
function confirmsPayment(menu: Menu, node: MenuNode): boolean {
  const targets = node.type === 'choice' ? node.options.map((option) => option.next) : node.type === 'input' ? [node.next] : [];
  return targets.some((target) => startsPayment(menu, target));
}

function startsPayment(menu: Menu, nodeId: string): boolean {
  for (let seen = 0, id = nodeId; seen < 16; seen++) {
    const node = menu.nodes[id];
    if (node?.type === 'goto') {
      id = node.next;
      continue;
    }
    return node?.type === 'action' && PAYMENT_CONFIRMING_SERVICES.includes(node.service);
  }
  return false;
}
