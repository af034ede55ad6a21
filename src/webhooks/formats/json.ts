import type { DeliveredEvent } from '../events.js';

/**
 * Our own envelope, `{id, type, timestamp, data}`, as-is: the anomaly record carries the trace summary, its
 * root causes, compact spans and feature comparisons; a digest its minute, its count and its top anomalies.
 * Signed by the caller (Standard Webhooks headers).
 */
export function jsonPayload(event: DeliveredEvent): DeliveredEvent {
  return { id: event.id, type: event.type, timestamp: event.timestamp, data: event.data } as DeliveredEvent;
}
