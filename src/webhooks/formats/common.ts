import type { Incident } from '../../incidents/incident.js';
import type { WebhookEvent } from '../events.js';
import { anomalySeverity, incidentSeverity, type Severity } from './severity.js';
import { endpointKey, serviceOfEndpointKey } from '../../trace/endpoint-key.js';

export interface RenderContext {
  /** `${event.id}:${webhook.id}`: the same for every attempt, so receivers can dedupe. */
  deliveryId: string;
  webhookId: string;
  /** The service's public address (for Alertmanager externalURL and fallback links). */
  publicUrl?: string;
  /** pagerduty: the routing key. */
  secret?: string;
}

export interface Cause {
  /** `service` or `service:operation`. */
  where: string;
  service: string;
  kind?: string;
  /** Contribution (anomalies) or score (incidents), 0..1. */
  weight: number;
  evidence: string;
}

/** What every format says about an event, in one place so they agree. */
export interface EventSummary {
  title: string;
  /** `service:operation` of the anomalous trace, or the incident's endpoints joined. */
  endpoint: string;
  service: string;
  score?: number;
  durationMs?: number;
  traceId?: string;
  traceCount?: number;
  spanCount?: number;
  start: string;
  end?: string;
  resolved: boolean;
  /** Who acknowledged the incident (`someone` when they gave no name), once someone has. */
  acknowledgedBy?: string;
  causes: Cause[];
  link?: string;
  severity: Severity;
}

export const TOP_CAUSES = 3;

function byWeight(a: Cause, b: Cause) {
  return b.weight - a.weight;
}

export function summarize(event: WebhookEvent, publicUrl?: string): EventSummary {
  if (event.type === 'anomaly.detected') {
    const a = event.data;
    const causes = a.rootCauses
      .map((c) => ({
        where: c.operation ? `${c.service}:${c.operation}` : c.service,
        service: c.service,
        kind: c.kind,
        weight: c.contribution,
        evidence: c.evidence,
      }))
      .sort(byWeight)
      .slice(0, TOP_CAUSES);
    const endpoint = endpointKey(a.service, a.operation);
    const top = causes[0] ? ` (likely ${causes[0].where})` : '';
    return {
      title: `Anomalous trace on ${endpoint}: score ${a.score.toFixed(2)}${top}`,
      endpoint,
      service: a.service,
      score: a.score,
      durationMs: a.durationMs,
      traceId: a.traceId,
      spanCount: a.spanCount,
      start: a.startTime,
      resolved: false,
      causes,
      link: a.link ?? (publicUrl ? `${publicUrl.replace(/\/$/, '')}/v1/anomalies/${a.id}` : undefined),
      severity: anomalySeverity(a.score),
    };
  }
  if (event.type === 'webhook.test') {
    return {
      title: event.data.message,
      endpoint: 'tracehound:test',
      service: 'tracehound',
      start: event.timestamp,
      resolved: false,
      causes: [],
      link: publicUrl,
      severity: 'info',
    };
  }
  const i = event.data;
  const causes = i.rootCauses
    .map((c) => ({
      where: c.operation ? `${c.service}:${c.operation}` : c.service,
      service: c.service,
      weight: c.score,
      evidence: c.evidence,
    }))
    .slice(0, TOP_CAUSES);
  const resolved = event.type === 'incident.resolved' || i.status === 'resolved';
  const acked = i.acknowledgedAt !== undefined ? (i.acknowledgedBy ?? 'someone') : undefined;
  const verb = resolved ? 'Resolved' : event.type === 'incident.acknowledged' ? 'Acknowledged' : 'Incident';
  const by = resolved && i.resolvedBy === 'manual' ? ` by ${i.resolvedByName ?? 'hand'}` : '';
  return {
    title: `${verb} ${i.id}${by}: ${incidentHeadline(i)}`,
    endpoint: i.endpoints.join(', '),
    service: causes[0]?.service ?? (i.endpoints[0] ? serviceOfEndpointKey(i.endpoints[0]) : 'unknown'),
    score: i.rootCauses[0]?.score,
    traceId: i.traceIds[0],
    traceCount: i.traceCount,
    start: i.start,
    end: i.end,
    resolved,
    ...(acked !== undefined && { acknowledgedBy: acked }),
    causes,
    link: publicUrl ? `${publicUrl.replace(/\/$/, '')}/v1/incidents/${i.id}` : undefined,
    severity: incidentSeverity(i),
  };
}

/** "likely cartservice:GetCart; error-rate, anomaly-rate on 3 endpoints" */
export function incidentHeadline(i: Incident): string {
  const top = i.rootCauses[0];
  const where = top
    ? `likely ${top.operation ? `${top.service}:${top.operation}` : top.service}`
    : 'no suspect yet';
  const kinds = [...new Set(i.signals.map((s) => s.kind))].slice(0, 3).join(', ') || 'anomalous traces';
  const n = i.endpoints.length;
  return `${where}; ${kinds} on ${n} endpoint${n === 1 ? '' : 's'}`;
}

export function causeLine(c: Cause): string {
  const kind = c.kind ? ` ${c.kind}` : '';
  return `${c.where}${kind} (${c.weight.toFixed(2)}): ${c.evidence}`;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
