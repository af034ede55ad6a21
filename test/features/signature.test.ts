import { describe, expect, it } from 'vitest';
import { extractProfile } from '../../src/features/profile.js';
import { build, type SpanSpec } from './build.js';

const base: SpanSpec[] = [
  { id: 1, op: 'web:GET /', start: 0, duration: 100 },
  { id: 2, parent: 1, op: 'auth:check', start: 5, duration: 10 },
  { id: 3, parent: 1, op: 'db:query', start: 20, duration: 30 },
  { id: 4, parent: 1, op: 'db:query', start: 55, duration: 30 },
];
const sig = (specs: SpanSpec[]) => extractProfile(build(specs)).signature;

describe('structure signature', () => {
  it('is equal for traces of one shape whatever their timing, ids and sibling order', () => {
    const other: SpanSpec[] = [
      { id: 11, op: 'web:GET /', start: 1000, duration: 700 },
      { id: 14, parent: 11, op: 'db:query', start: 1001, duration: 300 },
      { id: 13, parent: 11, op: 'db:query', start: 1002, duration: 200 },
      { id: 12, parent: 11, op: 'auth:check', start: 1500, duration: 1 },
    ];
    expect(sig(other)).toBe(sig(base));
    expect(sig(base)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('changes when a call is added, moved or renamed', () => {
    const s = sig(base);
    expect(sig([...base, { id: 5, parent: 1, op: 'db:query', start: 90, duration: 5 }])).not.toBe(s);
    // same spans, but the second query moves under auth:check
    expect(sig(base.map((x) => (x.id === 4 ? { ...x, parent: 2 } : x)))).not.toBe(s);
    expect(sig(base.map((x) => (x.id === 2 ? { ...x, op: 'auth:verify' } : x)))).not.toBe(s);
    // one query replaced by a cache read: same span count, other multiset
    expect(sig(base.map((x) => (x.id === 4 ? { ...x, op: 'cache:get' } : x)))).not.toBe(s);
  });
});
