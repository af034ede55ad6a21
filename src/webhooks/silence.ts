import { z } from 'zod';
import type { WebhookEvent } from './events.js';
import { facts } from './filter.js';

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
 * The silence that holds back `event` at `nowMs`, if any. Silenced: new anomalies and incidents opening or
 * changing that concern the service or endpoint (as itself or as a root cause). A resolve still goes out, so
 * a receiver paged before the silence learns that it is over; a test event is always sent.
 */
export function silencedBy(
  event: WebhookEvent,
  silences: readonly Silence[],
  nowMs: number,
): Silence | undefined {
  if (event.type === 'webhook.test' || event.type === 'incident.resolved') return undefined;
  const f = facts(event);
  return silences.find(
    (s) =>
      Date.parse(s.until) > nowMs &&
      ((s.service !== undefined && f.services.has(s.service)) ||
        (s.endpoint !== undefined && f.endpoints.has(s.endpoint))),
  );
}
