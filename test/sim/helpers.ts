import type { Span } from '../../src/trace/span.js';
import { generate, type Generated } from '../../src/sim/generate.js';
import { getScenario } from '../../src/sim/scenarios.js';
import type { Scenario } from '../../src/sim/scenario.js';

/** A catalogue scenario with its fault moved to [startS, endS) and the run cut to `durationS`, to keep tests quick. */
export function shortened(name: string, startS = 30, endS = 90, durationS = 120): Scenario {
  const s = getScenario(name);
  return { ...s, faults: s.faults.map((f) => ({ ...f, startS, endS })), durationS };
}

export function run(s: Scenario, seed = 11): Generated {
  return generate(s, { seed });
}

/** Traces whose root starts inside / outside [startS, endS) of the run. */
export function split(g: Generated, startS: number, endS: number): { inside: Span[][]; outside: Span[][] } {
  const lo = g.truth.start + startS * 1e6;
  const hi = g.truth.start + endS * 1e6;
  const inside: Span[][] = [];
  const outside: Span[][] = [];
  g.traces.forEach((t, i) => {
    const at = g.truth.traces[i].start;
    (at >= lo && at < hi ? inside : outside).push(t);
  });
  return { inside, outside };
}

export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/** Self time: the span's duration less the union of its direct children's intervals. */
export function selfTimes(trace: Span[], pred: (s: Span) => boolean): number[] {
  const kids = new Map<string, Span[]>();
  for (const s of trace)
    if (s.parentId) (kids.get(s.parentId) ?? kids.set(s.parentId, []).get(s.parentId)!).push(s);
  const out: number[] = [];
  for (const s of trace) {
    if (!pred(s)) continue;
    const iv = (kids.get(s.spanId) ?? [])
      .map((c) => [c.start, c.start + c.duration])
      .sort((a, b) => a[0] - b[0]);
    let covered = 0;
    let curS = -Infinity;
    let curE = -Infinity;
    for (const [a, b] of iv) {
      if (a > curE) {
        if (curE > curS) covered += curE - curS;
        curS = a;
        curE = b;
      } else curE = Math.max(curE, b);
    }
    if (curE > curS) covered += curE - curS;
    out.push(s.duration - covered);
  }
  return out;
}

export function rootOf(trace: Span[]): Span | undefined {
  return trace.find((s) => s.parentId === undefined);
}
