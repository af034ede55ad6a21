import { Prng } from '../../src/detectors/prng.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import type { Trace } from '../../src/trace/trace.js';
import { raw } from './spans.js';

/**
 * Two-span traces of one endpoint, fast to make and to train on: web GET / calls db query, which takes
 * about 10 ms (times `slow` when slowed); the web tier's own time is about 2 ms. Traces follow each other
 * 100 ms apart in the order they are made.
 */
export function queryTraces(seed = 7) {
  const rng = new Prng(seed);
  // Roughly normal noise (a sum of uniforms).
  const noise = () => rng.next() + rng.next() + rng.next() - 1.5;
  let seq = 0;
  const trace = (slow = 1): Trace => {
    const id = (++seq).toString(16).padStart(32, '0');
    const start = 1_700_000_000_000_000 + seq * 100_000;
    const query = Math.round(10_000 * Math.exp(0.2 * noise()) * slow);
    const own = Math.round(2000 * Math.exp(0.2 * noise()));
    return normalizeTrace(id, [
      raw({
        traceId: id,
        spanId: 'a',
        service: 'web',
        operation: 'GET /',
        kind: 'server',
        start,
        duration: own + query,
      }),
      raw({
        traceId: id,
        spanId: 'b',
        parentId: 'a',
        service: 'db',
        operation: 'query',
        kind: 'client',
        start: start + own / 2,
        duration: query,
      }),
    ]);
  };
  return { trace, many: (n: number, slow = 1) => Array.from({ length: n }, () => trace(slow)) };
}
