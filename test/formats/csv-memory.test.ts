import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { readCsvStream } from '../../src/formats/csv.js';
import { TraceAssembler } from '../../src/formats/assembler.js';

// Retained heap is what matters, not garbage not yet collected: collect before each sample.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const ROWS = 300_000;
const SPANS_PER_TRACE = 10;
const HEADER = 'TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration\n';

/** A nezha-shaped table generated on the fly, in time order, a few hundred rows per chunk. */
function generate(): { stream: Readable; bytes: () => number } {
  let bytes = 0;
  function* chunks() {
    yield HEADER;
    let buf = '';
    for (let i = 0; i < ROWS; i++) {
      const trace = Math.floor(i / SPANS_PER_TRACE);
      const k = i % SPANS_PER_TRACE;
      const tid = (trace + 1).toString(16).padStart(32, '0');
      const sid = (i + 1).toString(16).padStart(16, '0');
      const parent = k === 0 ? 'root' : (i - k + 1).toString(16).padStart(16, '0');
      const start = 1674981768697000000 + i * 1000000;
      buf += `${tid},${sid},${parent},ts-order-service-6f6cfc45b-h5m2n,POST /api/v1/orderservice/order/${k},${start},${start + 5000000},5000\n`;
      if (buf.length > 64 * 1024) {
        bytes += buf.length;
        yield buf;
        buf = '';
      }
    }
    bytes += buf.length;
    yield buf;
  }
  return { stream: Readable.from(chunks(), { objectMode: false }), bytes: () => bytes };
}

describe('span table streaming', () => {
  it('reads 300k rows with heap growth well under the input size', async () => {
    const { stream, bytes } = generate();
    let traces = 0;
    let spans = 0;
    const assembler = new TraceAssembler(
      (t) => {
        traces++;
        spans += t.spans.length;
      },
      { idleSpans: 5_000 },
    );
    gc();
    const base = process.memoryUsage().heapUsed;
    let peak = 0;
    let n = 0;
    await readCsvStream(
      stream,
      {
        span: (s) => {
          assembler.add(s);
          if (++n % 20_000 !== 0) return;
          gc();
          peak = Math.max(peak, process.memoryUsage().heapUsed - base);
        },
        skip: (where, msg) => {
          throw new Error(`unexpected skip ${where}: ${msg}`);
        },
        warn: () => {},
      },
      { file: 'generated.csv' },
    );
    assembler.flush();
    expect(traces).toBe(ROWS / SPANS_PER_TRACE);
    expect(spans).toBe(ROWS);
    const input = bytes();
    expect(input).toBeGreaterThan(40_000_000);
    // Loading the file would retain more than the input; a bounded stream keeps only the idle window.
    expect(peak).toBeLessThan(input / 10);
    console.log(`input ${(input / 1e6).toFixed(1)} MB, peak heap growth ${(peak / 1e6).toFixed(1)} MB`);
  });
});
