import { describe, expect, it } from 'vitest';
import { clientAddress, ipAllowed, parseIp, parseProxyTrust, parseRanges } from '../../src/lib/ip-address.js';

describe('IP addresses and CIDR ranges', () => {
  it.each([
    ['10.0.0.1', true],
    ['::ffff:10.0.0.1', true],
    ['2001:db8::1', true],
    ['::1', true],
    ['fe80::1%eth0', true],
    ['[2001:db8::1]', true],
    ['10.0.0.256', false],
    ['010.0.0.1', false],
    ['1:2:3:4:5:6:7:8:9', false],
    ['::1::', false],
    ['evil.example', false],
    ['', false],
  ])('parses %j: %s', (text, valid) => {
    expect(parseIp(text) !== undefined).toBe(valid);
  });

  it.each([
    ['10.0.0.0/8', '10.200.3.4', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['10.0.0.0/8', '::ffff:10.1.1.1', true],
    ['192.168.1.7', '192.168.1.7', true],
    ['192.168.1.7', '192.168.1.8', false],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['0.0.0.0/0', '2001:db8::1', false],
    ['::ffff:10.0.0.0/104', '10.9.9.9', true],
  ])('%s contains %s: %s', (range, address, inside) => {
    expect(ipAllowed(address, parseRanges(range, 'X'))).toBe(inside);
  });

  it('refuses a bad entry at start, naming it', () => {
    expect(() => parseRanges('10.0.0.0/8, 10.0.0.0/33', 'SMS_KANNEL_ALLOW_IPS')).toThrow(/SMS_KANNEL_ALLOW_IPS entry "10.0.0.0\/33"/);
    expect(() => parseRanges('example.org', 'X')).toThrow(/X entry "example.org"/);
  });
});

describe('the client address behind trusted proxies (issue 11, item 8)', () => {
  // An attacker writes "10.0.0.5" (an allowlisted aggregator address) into X-Forwarded-For; the
  // proxy appends the address it really saw (203.0.113.9), then forwards from 172.16.0.2.
  const spoofed = '10.0.0.5, 203.0.113.9';
  it.each([
    ['0', '172.16.0.2'],
    ['1', '203.0.113.9'],
    ['2', '10.0.0.5'],
    ['172.16.0.0/12', '203.0.113.9'],
    ['172.16.0.0/12, 203.0.113.0/24', '10.0.0.5'],
  ])('TRUST_PROXY=%s → %s', (trust, client) => {
    expect(clientAddress('172.16.0.2', spoofed, parseProxyTrust(trust))).toBe(client);
  });

  it('never takes the leftmost entry just because it is there', () => {
    expect(clientAddress('172.16.0.2', 'anything, 203.0.113.9', parseProxyTrust('1'))).toBe('203.0.113.9');
    // An entry that is not an address, reached while walking trusted proxies, allows nothing.
    expect(clientAddress('172.16.0.2', '10.0.0.5, junk', parseProxyTrust('172.16.0.0/12'))).toBeUndefined();
  });

  it('ignores X-Forwarded-For when no proxy is trusted, and uses the socket when it is absent', () => {
    expect(clientAddress('198.51.100.7', '10.0.0.5', parseProxyTrust('0'))).toBe('198.51.100.7');
    expect(clientAddress('198.51.100.7', undefined, parseProxyTrust('1'))).toBe('198.51.100.7');
  });

  it('refuses a TRUST_PROXY that is neither a count nor ranges', () => {
    expect(() => parseProxyTrust('yes')).toThrow(/TRUST_PROXY/);
    expect(() => parseProxyTrust('99')).toThrow(/TRUST_PROXY/);
  });
});
