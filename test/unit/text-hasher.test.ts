import { expect, it } from 'vitest';
import { textHasher } from '../../src/channels/ussd/pii-hash.js';
import { nodeSecretDigest, nodeTextHasher } from '../../src/runtime/node/text-hasher.js';
import { secretDigest } from '../../src/lib/secrets.js';

// Sessions written by one instance must be read by another whichever hasher each uses (Node, Workers).
it.each([undefined, 'a-deployment-key-0123456789'])('Node and Web Crypto give the same digests (key %s)', async (key) => {
  for (const text of ['', '1*PS00373-240001', '1*PS00373-240001*1*1234567890*15031990', 'é'.repeat(50)]) {
    expect(await nodeTextHasher(key)(text)).toBe(await textHasher(key)(text));
  }
});

// Agency API keys are compared by digest: the Node gateway's synchronous SHA-256 must be Web Crypto's.
it('Node and Web Crypto give the same secret digests', async () => {
  for (const secret of ['', 'bench-key-0123456789', 'clé-é'.repeat(20)]) {
    expect(Buffer.from(await nodeSecretDigest(secret)).toString('hex')).toBe(Buffer.from(await secretDigest(secret)).toString('hex'));
  }
  expect(Buffer.from(await nodeSecretDigest('a')).toString('hex')).not.toBe(Buffer.from(await secretDigest('b')).toString('hex'));
});
