import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readTraceFiles } from '../../src/formats/read.js';

/**
 * The published span tables read whole, checked against the counts in each dataset's SOURCE.md.
 * Slow (about two and a half minutes in all), so it runs only with TRACEHOUND_DATASETS=1.
 */
const ROOT = '/work/shared/datasets';
const enabled = process.env.TRACEHOUND_DATASETS === '1' && existsSync(ROOT);

// [file, traces, spans, services or undefined] - from SOURCE.md of each dataset.
const CASES: Array<[string, number, number, number | undefined]> = [
  // "134,714 spans, 6,778 traces, 17 services"
  ['shapleyiq-trainticket/spans.csv.gz', 6_778, 134_714, 17],
  // "Total: 1,759 traces, 140,639 spans"; the preset's service is the agent (5 names, one also lower-case).
  ['tracebench-hdfs/spans.csv.gz', 1_759, 140_639, undefined],
  // "325,859 spans, 4,551 traces"
  ['nezha-trainticket/traces_2023-01-29.csv.gz', 4_551, 325_859, undefined],
  // "1,037,308 spans, 27,364 traces"; the spans-per-service list for 01-30 names 28 services.
  ['nezha-trainticket/traces_2023-01-30.csv.gz', 27_364, 1_037_308, 28],
  // "935,108 spans, 21,043 traces"
  ['nezha-onlineboutique/traces_2022-08-22.csv.gz', 21_043, 935_108, undefined],
  // "1,248,431 spans, 29,112 traces"; 10 services listed for 08-23.
  ['nezha-onlineboutique/traces_2022-08-23.csv.gz', 29_112, 1_248_431, 10],
];

describe.skipIf(!enabled)('datasets match their SOURCE.md', () => {
  for (const [file, traces, spans, services] of CASES) {
    it(file, { timeout: 300_000 }, async () => {
      const ids = new Set<string>();
      const names = new Set<string>();
      const report = await readTraceFiles([`${ROOT}/${file}`], {}, (t) => {
        ids.add(t.traceId);
        for (const s of t.spans) names.add(s.service);
      });
      expect(report.format).toBe('csv');
      expect(report.skipped).toBe(0);
      expect(report.traces).toBe(traces);
      // No trace was emitted in two parts by the assembler's idle window.
      expect(ids.size).toBe(traces);
      expect(report.spans).toBe(spans);
      if (services !== undefined) expect(names.size).toBe(services);
    });
  }
});
