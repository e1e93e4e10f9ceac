import { optionKey } from '../engine/engine.js';
import type { MenuRegistry } from '../engine/menu-registry.js';
import type { Menu } from '../engine/schema.js';
import type { EngineState, Step } from '../engine/types.js';
import { operatorOf } from '../lib/msisdn.js';
import { decodeBoundRecord, type UssdSessionRecord } from '../channels/ussd/session-record.js';
import type { SessionStore } from '../sessions/port.js';
import type { FunnelSession, FunnelStep, InspectedSession } from './funnels.js';

/**
 * What the engine did during one hop, as funnel steps, read from the steps it returned: the hop
 * handler hands over each transition (opening, input, service outcome) and this says what it was.
 * Labels come from the menu the session runs on, so they are always one of its node ids and
 * option keys.
 */
export class FunnelTrace {
  readonly steps: FunnelStep[] = [];

  /** `from` and `input`: the state the hop found and what it brought; null when the hop opened the session. */
  constructor(
    private readonly menu: Menu,
    from: EngineState | null,
    input: string | null,
    first: Step,
  ) {
    if (from === null || input === null) this.entered(first.state.node);
    else this.advanced(from, input, first);
  }

  /** The engine took (or refused) an input on `from`'s screen. */
  advanced(from: EngineState, input: string, to: Step): void {
    if (to.type === 'screen' && to.refused) {
      this.steps.push({ kind: 'refused', node: from.node });
      return;
    }
    const typed = input.trim();
    // The engine's own keys (`0` back, `00` home, `98` next page) move within the menu: an arrival
    // when they lead to another node, never a choice.
    const paged = typed === '98' && to.state.node === from.node && to.state.page === from.page + 1;
    if (typed === '0' || typed === '00' || paged) {
      if (to.state.node !== from.node) this.entered(to.state.node);
      return;
    }
    const node = this.menu.nodes[from.node];
    if (node?.type === 'choice') {
      const index = node.options.findIndex((option, i) => optionKey(option, i) === typed);
      const option = node.options[index];
      if (option) this.steps.push({ kind: 'chose', node: from.node, option: optionKey(option, index) });
    }
    this.entered(to.state.node);
  }

  /** A service answered and the engine went on from its action node. */
  resumed(to: Step): void {
    this.entered(to.state.node);
  }

  private entered(node: string): void {
    this.steps.push({ kind: 'entered', node });
  }
}

/**
 * A stored session as the funnels name it. `menu` is the version it runs on, when still loaded:
 * otherwise (a record from before a restart with other menus) its labels are `other`.
 */
export function funnelSessionOf(key: string, version: number, record: UssdSessionRecord, dialect: string, menu: Menu | undefined): FunnelSession {
  const node = menu && Object.hasOwn(menu.nodes, record.e.node) ? record.e.node : 'other';
  return {
    key,
    version,
    menu: menu?.id ?? 'other',
    node,
    dialect,
    operator: operatorOf(record.c) ?? 'other',
    openedAt: record.o,
    hops: record.k ?? 0,
  };
}

/** The menu a record runs on, if still loaded. */
export function menuOfRecord(menus: MenuRegistry, record: UssdSessionRecord): Menu | undefined {
  return menus.atVersion(record.e.menuId, record.e.menuVersion);
}

/**
 * `InProcessFunnels`' `inspect`: the session as the store has it now, or null when it is gone (or
 * unreadable). One load per session due to expire, never on a hop.
 */
export function storedSessionInspector(sessions: SessionStore, menus: MenuRegistry): (key: string, tracked: FunnelSession) => Promise<InspectedSession | null> {
  return async function inspectStoredSession(key, tracked) {
    const stored = await sessions.load(key);
    const record = stored ? decodeBoundRecord(stored.data) : null;
    if (!stored || !record) return null;
    return { version: stored.version, closed: record.x !== undefined, session: funnelSessionOf(key, stored.version, record, tracked.dialect, menuOfRecord(menus, record)) };
  };
}
