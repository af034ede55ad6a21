/**
 * Issue 13's targets on a real OpenTelemetry-instrumented app (testbed/otel-app, short plan: about six
 * minutes): an added latency, HTTP 500s and a blocked event loop, in three services at once, each open an
 * incident of their own naming the faulty service first; fault-free traffic is flagged at most 2% of the
 * time; no incident opens where no fault is, and no fault opens two. The figures of the run go to stderr.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runTestbed, type RunResult } from '../../testbed/otel-app/harness.js';
import { SHORT_PLAN } from '../../testbed/otel-app/plans.js';
import { markdownReport } from '../../testbed/otel-app/report.js';

describe('OpenTelemetry testbed: every fault its own incident, the faulty service first', () => {
  let run: RunResult;
  beforeAll(async () => {
    run = await runTestbed(SHORT_PLAN);
    // What each fault-free anomaly was (when, which detectors, whom it blamed): a failure here is read off this.
    const clean = run.cleanAnomalies.map(
      (a) =>
        `${a.atS} s ${a.endpoint} ${a.durationMs} ms score ${a.score.toFixed(2)} ${JSON.stringify(a.detectors)} → ${a.cause ?? '—'}: ${a.evidence ?? ''}`,
    );
    process.stderr.write(
      `${markdownReport([run])}\n\nincidents:\n${run.incidents.map((i) => JSON.stringify(i)).join('\n')}\n\nfault-free anomalies:\n${clean.join('\n')}\n\nlog problems:\n${run.logProblems.join('\n')}\n`,
    );
  }, 20 * 60_000);

  it.each(SHORT_PLAN.faults.map((f) => [f.name, f.service]))(
    '%s opens an incident of its own naming %s first',
    (name) => {
      const f = run.figures.faults.find((x) => x.name === name)!;
      // The whole outcome in the message: which incidents overlapped, and whom they blamed.
      expect(f.ownIncident, JSON.stringify(f)).toBeDefined();
      expect(f.firstCause, JSON.stringify(f)).toBe(f.service);
    },
  );

  it('flags at most 2% of fault-free requests', () => {
    const { cleanAnomalies, cleanRequests } = run.figures;
    // Enough fault-free traffic scored by trained models for 2% to mean something.
    expect(cleanRequests).toBeGreaterThanOrEqual(300);
    expect(cleanAnomalies / cleanRequests, `${cleanAnomalies} of ${cleanRequests}`).toBeLessThanOrEqual(0.02);
  });

  it('opens no incident where no fault is, and none besides each fault’s own', () => {
    expect(run.figures.falseIncidents).toEqual([]);
    expect(run.figures.strayIncidents).toEqual([]);
  });
});
