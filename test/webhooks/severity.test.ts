import { describe, expect, it } from 'vitest';
import { incidentSeverity } from '../../src/webhooks/formats/severity.js';
import { slackPayload } from '../../src/webhooks/formats/slack.js';
import type { Signal } from '../../src/incidents/signal.js';
import { opened, sampleIncident } from './fixtures.js';

const signal = (kind: Signal['kind'], value: number, strength: number): Signal => ({
  kind,
  target: { type: 'endpoint', key: 'api:POST /orders' },
  minute: 0,
  strength,
  value,
  baseline: 0,
  evidence: 'x',
});

describe('incident severity follows what the incident measured', () => {
  it('grades failures, latency and reach', () => {
    const only = (signals: Signal[], endpoints = ['api:POST /orders']) =>
      incidentSeverity(sampleIncident({ signals, endpoints }));
    expect(only([signal('error-rate', 0.4, 6)])).toBe('critical');
    expect(only([signal('error-rate', 0.05, 2)])).toBe('error');
    expect(only([signal('latency-shift', 900, 4)])).toBe('error');
    expect(only([signal('latency-shift', 400, 1.5)])).toBe('warning');
    expect(only([signal('anomaly-rate', 0.1, 2)])).toBe('warning');
    expect(only([signal('anomaly-rate', 0.1, 2)], ['a:x', 'b:x', 'c:x', 'd:x', 'e:x'])).toBe('critical');
  });

  it('is what a Slack message says, not a constant', () => {
    const texts = (sev: Signal[]) =>
      JSON.stringify(slackPayload(opened({ signals: sev }), { deliveryId: 'd:wh_1', webhookId: 'wh_1' }));
    expect(texts([signal('error-rate', 0.4, 6)])).toContain('(critical)');
    expect(texts([signal('anomaly-rate', 0.1, 2)])).toContain('(warning)');
  });
});
