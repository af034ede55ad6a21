/**
 * Parsing cost: full read + normalization of a >= 200k-span Jaeger v1 document against a bare JSON.parse
 * of the same text. Goal: the ratio stays at or under 1.5.
 */
import { readTracePayload } from '../src/formats/read.js';
import { jaegerDocument } from './jaeger-fixture.js';
import { median, timeIt } from './timing.js';

export interface ParseBenchResult {
  spans: number;
  bytes: number;
  bareParseMs: number;
  fullReadMs: number;
  ratio: number;
  spansPerSecond: number;
}

export function runParseBench(spans = 200_000, runs = 5): ParseBenchResult {
  const text = JSON.stringify(jaegerDocument(spans));
  const buf = Buffer.from(text);
  const bare: number[] = [];
  const full: number[] = [];
  let count = 0;
  for (let r = 0; r < runs; r++) {
    bare.push(timeIt(() => JSON.parse(buf.toString('utf8'))));
    full.push(
      timeIt(() => {
        count = readTracePayload(buf).report.spans;
      }),
    );
  }
  if (count !== spans) throw new Error(`read ${count} spans, expected ${spans}`);
  const bareParseMs = median(bare);
  const fullReadMs = median(full);
  return {
    spans,
    bytes: buf.length,
    bareParseMs,
    fullReadMs,
    ratio: fullReadMs / bareParseMs,
    spansPerSecond: spans / (fullReadMs / 1000),
  };
}
