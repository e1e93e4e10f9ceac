import type { Menu } from '../../engine/schema.js';
import type { EngineState } from '../../engine/types.js';

/**
 * The arguments that carry an identity proof, as the portal services read them
 * (`src/services/portal-services.ts`: `npi`, `birthDate`) and the career services do
 * (`src/services/career-services.ts`: `matricule`, `firstPosting`, and the SMS code `otp`). What a
 * citizen types for them must not outlive the check: the channel finds, per menu, which variables
 * feed them.
 */
export const IDENTITY_PROOF_ARGS: readonly string[] = ['npi', 'birthDate', 'matricule', 'firstPosting', 'otp'];

export interface ProofVars {
  /** Variables whose value reaches an identity-proof argument. */
  all: ReadonlySet<string>;
  /** Action nodes that send an identity proof. */
  byNode: ReadonlySet<string>;
}

const cache = new WeakMap<Menu, ProofVars>();

export function identityProofVars(menu: Menu): ProofVars {
  let found = cache.get(menu);
  if (!found) {
    const all = new Set<string>();
    const byNode = new Set<string>();
    for (const [id, node] of Object.entries(menu.nodes)) {
      if (node.type !== 'action') continue;
      for (const [arg, template] of Object.entries(node.args)) {
        if (!IDENTITY_PROOF_ARGS.includes(arg)) continue;
        byNode.add(id);
        for (const match of template.matchAll(/\{\{\s*([\w.]+)\s*(?:\|[^}]*)?\}\}/g)) all.add(match[1]!);
      }
    }
    found = { all, byNode };
    cache.set(menu, found);
  }
  return found;
}

export function withoutVars(state: EngineState, names: ReadonlySet<string>): EngineState {
  if (!Object.keys(state.vars).some((name) => names.has(name))) return state;
  const vars: Record<string, string> = {};
  for (const [name, value] of Object.entries(state.vars)) if (!names.has(name)) vars[name] = value;
  return { ...state, vars };
}
