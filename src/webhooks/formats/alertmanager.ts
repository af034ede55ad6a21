import { createHash } from 'node:crypto';
import type { WebhookEvent } from '../events.js';
import { causeLine, summarize, type RenderContext } from './common.js';

/** Alertmanager writes "0001-01-01T00:00:00Z" for an alert that has not ended. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface AlertmanagerAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

export interface AlertmanagerPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: AlertmanagerAlert[];
}

/**
 * The identity labels only: the fingerprint must stay the same from firing to resolved so the receiver
 * closes the alert it opened.
 */
function fingerprint(identity: Record<string, string>): string {
  const text = Object.keys(identity)
    .sort()
    .map((k) => `${k}=${identity[k]}`)
    .join('\xff');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The Prometheus Alertmanager webhook payload, version 4: anomalies fire; incidents fire, then resolve. */
export function alertmanagerPayload(event: WebhookEvent, ctx: RenderContext): AlertmanagerPayload {
  const s = summarize(event, ctx.publicUrl);
  const identity: Record<string, string> =
    event.type === 'anomaly.detected'
      ? { alertname: 'TracehoundAnomaly', trace_id: event.data.traceId }
      : event.type === 'webhook.test'
        ? { alertname: 'TracehoundTest', webhook_id: event.data.webhookId }
        : { alertname: 'TracehoundIncident', incident_id: event.data.id };
  const incident = event.type.startsWith('incident.');
  // An incident's severity may rise while it is open; as a label it would split the alert in two, so the
  // label says it pages and the measured severity goes into the annotations.
  const labels: Record<string, string> = { ...identity, severity: incident ? 'critical' : s.severity };
  const annotations: Record<string, string> = {
    summary: s.title,
    description: s.causes.length ? s.causes.map(causeLine).join('\n') : 'No root cause suggested.',
    endpoint: s.endpoint,
  };
  // An incident's labels stay the same from its first firing to its resolve (receivers group and silence
  // by labels); what moves while it is open, its suspect and its endpoints, goes into annotations.
  const facts = incident ? annotations : labels;
  if (event.type === 'anomaly.detected') {
    labels.service = event.data.service;
    labels.operation = event.data.operation;
  } else if (!incident) labels.service = s.service;
  else annotations.service = s.service;
  if (s.causes[0]) facts.root_cause = s.causes[0].where;
  if (incident) annotations.severity = s.severity;
  if (s.score !== undefined) annotations.score = s.score.toFixed(3);
  if (s.durationMs !== undefined) annotations.duration_ms = String(s.durationMs);
  if (s.traceId) annotations.trace_id = s.traceId;
  if (s.traceCount !== undefined) annotations.trace_count = String(s.traceCount);
  if (s.link) annotations.link = s.link;
  // Still firing (Alertmanager has no acknowledged state); receivers that route on it read the annotation.
  if (s.acknowledgedBy !== undefined) annotations.acknowledged_by = s.acknowledgedBy;
  const status = s.resolved ? 'resolved' : 'firing';
  const alert: AlertmanagerAlert = {
    status,
    labels,
    annotations,
    startsAt: s.start,
    endsAt: s.resolved ? (s.end ?? event.timestamp) : ZERO_TIME,
    generatorURL: s.link ?? ctx.publicUrl ?? '',
    fingerprint: fingerprint(identity),
  };
  const groupLabels = { alertname: identity.alertname };
  return {
    version: '4',
    groupKey: `{}:{alertname="${identity.alertname}"}`,
    truncatedAlerts: 0,
    status,
    receiver: `tracehound-${ctx.webhookId}`,
    groupLabels,
    // One alert per payload, so every label and annotation is common.
    commonLabels: { ...labels },
    commonAnnotations: { ...annotations },
    externalURL: ctx.publicUrl ?? '',
    alerts: [alert],
  };
}
