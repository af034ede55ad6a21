import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { samplingOptions } from '../../src/sampling/options.js';
import { endpointCondition, tailSamplingConfig, tailSamplingYaml } from '../../src/sampling/tail.js';
import { minutesBefore } from './helpers.js';

const o = samplingOptions({ budgetTps: 10 });
const NOW = Date.parse('2026-03-01T12:00:30Z');

describe('tail sampling policies', () => {
  it('quote service and operation names for OTTL and escape $ for the Collector', () => {
    const ep = 'pay"ments:GET /a\\b/${id}';
    expect(endpointCondition(ep)).toBe(
      'resource.attributes["service.name"] == "pay\\"ments" and name == "GET /a\\\\b/${id}"',
    );
    const config = tailSamplingConfig(
      { buckets: [], incidentEndpoints: new Set([ep]), thresholds: new Map(), nowMs: NOW },
      o,
    );
    const text = tailSamplingYaml(config, new Date(NOW));
    expect(text).toMatch(/^# Tracehound tail-sampling advice, 2026-03-01T12:00:30.000Z/);
    const back = parse(text).processors.tail_sampling.policies[1].ottl_condition.span[0];
    expect(back).toBe(endpointCondition(ep).replace('${id}', () => '$${id}'));
  });

  it('count slow traces against the budget, so a slower endpoint leaves less for the rest', () => {
    const rest = (slow: number) => {
      const buckets = minutesBefore(NOW * 1000, 70, () => ({
        'api:GET /': { traces: 1200, slow, latencyUs: 20_000, slowUs: 900_000 },
      }));
      const c = tailSamplingConfig(
        { buckets, incidentEndpoints: new Set(), thresholds: new Map([['api:GET /', 100_000]]), nowMs: NOW },
        o,
      );
      const p = c.processors.tail_sampling.policies.at(-1)!;
      return p.type === 'probabilistic' ? p.probabilistic.sampling_percentage : NaN;
    };
    // 20/s against a budget of 10/s: half; with 5% slow (kept by the latency policy), (10 - 1) / (20 - 1).
    expect(rest(0)).toBeCloseTo(50, 3);
    expect(rest(60)).toBeCloseTo((100 * 9) / 19, 1);
  });
});
