import type { WebhookEvent } from '../events.js';
import { summarize, truncate, type RenderContext } from './common.js';

export interface PagerDutyEvent {
  routing_key: string;
  event_action: 'trigger' | 'acknowledge' | 'resolve';
  dedup_key: string;
  payload?: {
    summary: string;
    source: string;
    severity: 'critical' | 'error' | 'warning' | 'info';
    timestamp: string;
    component?: string;
    group?: string;
    class?: string;
    custom_details: Record<string, unknown>;
  };
  links?: { href: string; text: string }[];
  client?: string;
  client_url?: string;
}

/** PagerDuty caps the summary at 1024 characters. */
const SUMMARY_MAX = 1024;

/**
 * PagerDuty Events API v2. One dedup_key per incident, so it pages once and the resolve closes that page;
 * an acknowledge stops its escalation; an anomaly's dedup_key is its trace id (the same trace never pages twice).
 */
export function pagerdutyPayload(event: WebhookEvent, ctx: RenderContext): PagerDutyEvent {
  if (!ctx.secret) throw new Error('pagerduty webhook has no routing key (its secret)');
  const dedupKey =
    event.type === 'anomaly.detected'
      ? event.data.traceId
      : event.type === 'webhook.test'
        ? `tracehound-test-${event.data.webhookId}`
        : `tracehound-incident-${event.data.id}`;
  if (event.type === 'incident.resolved') {
    return { routing_key: ctx.secret, event_action: 'resolve', dedup_key: dedupKey };
  }
  // Someone took it on: PagerDuty stops escalating the page it opened (the dedup_key names it).
  if (event.type === 'incident.acknowledged') {
    return { routing_key: ctx.secret, event_action: 'acknowledge', dedup_key: dedupKey };
  }
  const s = summarize(event, ctx.publicUrl);
  const top = s.causes[0];
  const details: Record<string, unknown> = {
    endpoint: s.endpoint,
    score: s.score,
    duration_ms: s.durationMs,
    trace_id: s.traceId,
    trace_count: s.traceCount,
    span_count: s.spanCount,
    started: s.start,
    root_causes: s.causes.map((c) => ({
      where: c.where,
      kind: c.kind,
      weight: c.weight,
      evidence: c.evidence,
    })),
  };
  if (event.type !== 'anomaly.detected' && event.type !== 'webhook.test')
    details.signals = event.data.signals.map((g) => `${g.kind} on ${g.target.key}: ${g.evidence}`);
  for (const k of Object.keys(details)) if (details[k] === undefined) delete details[k];
  const out: PagerDutyEvent = {
    routing_key: ctx.secret,
    event_action: 'trigger',
    dedup_key: dedupKey,
    payload: {
      summary: truncate(s.title, SUMMARY_MAX),
      source: s.service,
      severity: s.severity,
      timestamp: event.timestamp,
      component: top?.service ?? s.service,
      group: s.service,
      class: top?.kind ?? (event.type === 'anomaly.detected' ? 'anomaly' : 'incident'),
      custom_details: details,
    },
    client: 'Tracehound',
  };
  if (s.link) {
    out.links = [{ href: s.link, text: event.type === 'anomaly.detected' ? 'Trace' : 'Incident' }];
    out.client_url = s.link;
  }
  return out;
}
