import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTraceFiles } from '../../src/formats/read.js';
import type { ReadReport } from '../../src/formats/report.js';
import type { Trace } from '../../src/trace/trace.js';
import { generate, type Generated, type Period } from '../../testbed/heldout-sim/generate.js';
import { FAULT_KINDS, TRIPS_DB } from '../../testbed/heldout-sim/faults.js';
import { SERVICES } from '../../testbed/heldout-sim/services.js';
import { SCENARIO_START_US, faultWindows } from '../../testbed/heldout-sim/scenario.js';
import { EXTENSION, WIRE_FORMATS } from '../../testbed/heldout-sim/wire/index.js';
import { writePeriod } from '../../testbed/heldout-sim/write.js';

// Every fault kind for 90 s, five at a time, over 6 minutes of light traffic (about 400 traces).
const period = (seed: number): Period => ({
  seed,
  start: SCENARIO_START_US,
  minutes: 6,
  ratePerS: 1,
  faults: faultWindows(
    SCENARIO_START_US,
    FAULT_KINDS.map((k, i) => ({
      kind: k.name,
      at: 1 + 0.5 * (i % 5) + 2.5 * Math.floor(i / 5),
      minutes: 1.5,
      group: 'single',
    })),
  ),
});

const services = new Set(SERVICES.map((s) => s.name));
const dir = mkdtempSync(join(tmpdir(), 'heldout-sim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const generated = [...generate(period(7))];

const readings = new Map<string, Promise<{ traces: Trace[]; report: ReadReport }>>();

/** The generated traces written to a file in one format and read back with Tracehound's reader (once per format). */
function readBack(format: (typeof WIRE_FORMATS)[number]) {
  let r = readings.get(format);
  if (!r)
    readings.set(
      format,
      (r = (async () => {
        const path = join(dir, `test${EXTENSION[format]}.gz`);
        await writePeriod(path, format, generated, () => {});
        const traces: Trace[] = [];
        const report = await readTraceFiles([path], {}, (t) => traces.push(t));
        return { traces, report };
      })()),
    );
  return r;
}

/** Does the trace meet the component a fault says it changed? */
function passes(t: Trace, component: string): boolean {
  if (component.includes('->')) {
    const [a, b] = component.split('->');
    return t.spans.some((s, i) => s.service === b && t.parent[i] >= 0 && t.spans[t.parent[i]].service === a);
  }
  if (!services.has(component)) return false;
  // a refused connection leaves no span of the callee, only the caller's failed attempt to reach it
  return t.spans.some(
    (s) =>
      s.service === component ||
      (s.kind === 'client' &&
        s.error &&
        String(s.attributes['server.address'] ?? s.attributes['url.full'] ?? '').includes(`${component}.`)),
  );
}

describe('held-out simulator', () => {
  it('is deterministic by seed', () => {
    const again = [...generate(period(7))];
    expect(JSON.stringify(again)).toBe(JSON.stringify(generated));
    const other = generate(period(8)).next().value as Generated;
    expect(other.trace.traceId).not.toBe(generated[0].trace.traceId);
  });

  it('writes every wire format so that Tracehound reads every trace and span, skipping nothing', async () => {
    const spans = generated.reduce((a, g) => a + g.trace.spans.length, 0);
    const errors = generated.reduce(
      (a, g) => a + g.trace.spans.filter((s) => s.status === 'error').length,
      0,
    );
    for (const format of WIRE_FORMATS) {
      const { traces, report } = await readBack(format);
      expect(report.skipped, format).toBe(0);
      expect(traces.length, format).toBe(generated.length);
      expect(report.spans, format).toBe(spans);
      expect(
        traces.reduce((a, t) => a + t.spans.filter((s) => s.error).length, 0),
        format,
      ).toBe(errors);
      expect(new Set(traces.flatMap((t) => t.spans.map((s) => s.service))), format).toEqual(services);
    }
  });

  it('has truth that matches the traces: a faulty trace passed the faulty component while the fault was on', async () => {
    const { traces } = await readBack('otlp-json');
    const byId = new Map(traces.map((t) => [t.traceId, t]));
    const windows = new Map(period(7).faults.map((f) => [f.id, f]));
    const kindsSeen = new Set<string>();
    let faulty = 0;
    for (const g of generated as Generated[]) {
      const t = byId.get(g.truth.traceId)!;
      expect(t, g.truth.traceId).toBeDefined();
      expect(g.truth.faulty).toBe(g.truth.effects.length > 0);
      if (!g.truth.faulty) {
        expect(g.truth.rootCause).toEqual([]);
        continue;
      }
      faulty++;
      for (const e of g.truth.effects) {
        const w = windows.get(e.faultId)!;
        kindsSeen.add(w.kind);
        // the trace was under way while the fault was on (clock skew moves spans by well under a millisecond)
        expect(t.start < w.end + 1000 && t.end > w.start - 1000, `${g.truth.traceId} ${e.faultId}`).toBe(
          true,
        );
        expect(passes(t, e.component), `${g.truth.traceId} ${e.component}`).toBe(true);
        if (w.kind === 'trips-db-slow')
          expect(
            t.spans.some(
              (s) =>
                s.service === e.component &&
                (s.attributes['server.address'] ?? s.attributes['net.peer.name']) === TRIPS_DB,
            ),
          ).toBe(true);
        expect(g.truth.rootCause).toEqual(expect.arrayContaining(w.rootCause));
      }
    }
    expect(kindsSeen).toEqual(new Set(FAULT_KINDS.map((k) => k.name)));
    expect(faulty).toBeLessThan(generated.length / 2);
  });

  it('counts a trace that met a fault without being changed as fault-free', () => {
    const passed = generated.filter((g) => g.truth.passedUnchanged.length > 0);
    expect(passed.length).toBeGreaterThan(0);
    for (const g of passed)
      expect(g.truth.passedUnchanged.some((id) => g.truth.effects.some((e) => e.faultId === id))).toBe(false);
    // the partial faults (errors on a share of calls, event-loop blocks, refusals) leave some passes unchanged
    const kinds = new Set(passed.flatMap((g) => g.truth.passedUnchanged.map((id) => id.split('#')[0])));
    expect(kinds).toEqual(new Set(['fraud-errors', 'geo-event-loop', 'promotions-refused']));
  });
});
