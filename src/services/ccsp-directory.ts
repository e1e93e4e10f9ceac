import { z } from 'zod';
import type { ServiceRegistry } from './service-registry.js';

/** `menus/data/ccsp.yaml`: department → centres. */
export const CcspData = z.record(
  z.string().regex(/^[a-z-]+$/),
  z.array(z.strictObject({ name: z.string().min(1), place: z.string().min(1) })).min(1),
);
export type CcspData = z.infer<typeof CcspData>;

/** `directory.ccsp`: the municipal service centres of one department, one per line. */
export function createCcspDirectory(data: CcspData): ServiceRegistry {
  return {
    'directory.ccsp': async (args) => {
      const centres = data[args.department ?? ''];
      if (!centres) return { outcome: 'not_found' };
      return { outcome: 'ok', values: { centres: centres.map((c) => `${c.name}: ${c.place}`).join('\n') } };
    },
  };
}
