import { describe, expect, it } from 'vitest';
import { seal, unseal } from '../../src/lib/seal.js';

describe('seal: a number kept so only this deployment reads it back', () => {
  it('reads back what it sealed, and seals the same number differently each time (fresh IV)', async () => {
    const [a, b] = [await seal('key-one', '+2290197000001'), await seal('key-one', '+2290197000001')];
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(a).not.toContain('2290197000001');
    expect(await unseal('key-one', a)).toBe('+2290197000001');
    expect(await unseal('key-one', b)).toBe('+2290197000001');
  });

  it.each([
    ['another key', async (s: string) => ({ key: 'key-two', sealed: s })],
    ['one character changed', async (s: string) => ({ key: 'key-one', sealed: s.slice(0, 20) + (s[20] === 'A' ? 'B' : 'A') + s.slice(21) })],
    ['cut short', async (s: string) => ({ key: 'key-one', sealed: s.slice(0, 20) })],
    ['not base64url', async () => ({ key: 'key-one', sealed: 'not sealed!' })],
    ['empty', async () => ({ key: 'key-one', sealed: '' })],
  ])('%s: null, never a wrong number', async (_what, alter) => {
    const { key, sealed } = await alter(await seal('key-one', '+2290197000001'));
    expect(await unseal(key, sealed)).toBeNull();
  });
});
