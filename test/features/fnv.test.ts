import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fnv64, fnv64Hex } from '../../src/features/fnv.js';

/** Straightforward BigInt FNV-1a 64 over TextEncoder's bytes: the oracle for the 32-bit-halves version. */
function reference(s: string): string {
  let h = 0xcbf29ce484222325n;
  for (const b of new TextEncoder().encode(s)) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

describe('FNV-1a 64', () => {
  it('matches published test vectors', () => {
    expect(fnv64Hex('')).toBe('cbf29ce484222325');
    expect(fnv64Hex('a')).toBe('af63dc4c8601ec8c');
    expect(fnv64Hex('foobar')).toBe('85944171f73967e8');
  });

  it('matches a BigInt reference on any string, including astral and lone surrogates', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(fnv64Hex(s)).toBe(reference(s));
      }),
      { numRuns: 200 },
    );
  });

  it('streams: hashing a suffix onto a prefix state equals hashing the whole', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const h = new Fnv64().string(a);
        expect(new Fnv64(h.hi, h.lo).string(b).hex()).toBe(fnv64Hex(a + b));
      }),
    );
  });
});
