import { expect, it } from 'vitest';
import { textHasher } from '../../src/channels/ussd/pii-hash.js';
import { nodeTextHasher } from '../../src/runtime/node/text-hasher.js';

// Sessions written by one instance must be read by another whichever hasher each uses (Node, Workers).
it.each([undefined, 'a-deployment-key-0123456789'])('Node and Web Crypto give the same digests (key %s)', async (key) => {
  for (const text of ['', '1*PS00373-240001', '1*PS00373-240001*1*1234567890*15031990', 'é'.repeat(50)]) {
    expect(await nodeTextHasher(key)(text)).toBe(await textHasher(key)(text));
  }
});
