import { z } from 'zod';
import type { WebhookEvent } from './events.js';
import { endpointKey, serviceOfEndpointKey } from '../trace/endpoint-key.js';

/** At most a week: a silence is for a deploy or an outage being handled, not for hiding a service. */
export const MAX_SILENCE_MINUTES = 7 * 24 * 60;

export const CreateSilenceSchema = z
  .strictObject({
    service: z.string().min(1).max(256).optional(),
    endpoint: z
      .string()
      .regex(/^[^:]+:.+$/, 'expected service:operation')
      .max(1024)
      .optional(),
    minutes: z.number().int().min(1).max(MAX_SILENCE_MINUTES),
    note: z.string().max(2000).optional(),
  })
  .refine((s) => (s.service === undefined) !== (s.endpoint === undefined), {
    message: 'give exactly one of service or endpoint',
    path: ['service'],
  });
export type CreateSilenceInput = z.infer<typeof CreateSilenceSchema>;

export const SilenceSchema = z.object({
  id: z.string(),
  service: z.string().optional(),
  endpoint: z.string().optional(),
  createdAt: z.iso.datetime(),
  /** No pages about the service or endpoint before this instant; anomalies and incidents are still recorded. */
  until: z.iso.datetime(),
  /** Who set it: the API key's digest prefix, when auth is on. */
  by: z.string().optional(),
  note: z.string().optional(),
});
export type Silence = z.infer<typeof SilenceSchema>;

/**
 * The silence that holds back `event` at `nowMs`, if any. An anomaly or incident is silenced when its suspect
 * is (the first root cause's service or endpoint), or when everything it affects is (its own endpoint, or every
 * endpoint of the incident): a team that silences the service it is deploying is not paged about it, yet a
 * fault elsewhere that merely lists it among the lesser suspects, or also breaks an endpoint nobody silenced,
 * still pages, as an Alertmanager silence mutes only alerts whose labels all match. A resolve still goes out, so
 * a receiver paged before the silence learns that it is over; a test event is always sent.
 */
export function silencedBy(
  event: WebhookEvent,
  silences: readonly Silence[],
  nowMs: number,
): Silence | undefined {
  if (event.type === 'webhook.test' || event.type === 'incident.resolved') return undefined;
  const active = silences.filter((s) => Date.parse(s.until) > nowMs);
  const covers = (s: Silence, service: string, endpoint?: string) =>
    s.service === service || (endpoint !== undefined && s.endpoint === endpoint);
  const suspect = event.data.rootCauses[0];
  const suspectEndpoint = suspect?.operation ? endpointKey(suspect.service, suspect.operation) : undefined;
  const affected =
    event.type === 'anomaly.detected'
      ? [endpointKey(event.data.service, event.data.operation)]
      : event.data.endpoints;
  const bySuspect = suspect && active.find((s) => covers(s, suspect.service, suspectEndpoint));
  if (bySuspect) return bySuspect;
  const byEndpoint = affected.map((e) => active.find((s) => covers(s, serviceOfEndpointKey(e), e)));
  return affected.length > 0 && byEndpoint.every(Boolean) ? byEndpoint[0] : undefined;
}
