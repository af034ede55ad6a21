import { rankKey } from '../scoring/rank.js';
import type { Anomaly } from '../store/anomaly-record.js';
import { encodeRank, member } from '../store/sort-key.js';
import { endpointKey } from '../trace/endpoint-key.js';
import { digestEvent, type AnomalyDigestWebhookEvent, type DigestItem } from './events.js';

/** Anomalies a digest lists; the count covers the rest. */
export const DIGEST_TOP = 10;
export const MINUTE_MS = 60_000;

/** What a digest keeps of an anomaly: its endpoint, score and largest root cause with its sentence. */
export function digestItem(a: Anomaly): DigestItem {
  const top = a.rootCauses.reduce<Anomaly['rootCauses'][number] | undefined>(
    (best, c) => (best === undefined || c.contribution > best.contribution ? c : best),
    undefined,
  );
  const item: DigestItem = {
    id: a.id,
    traceId: a.traceId,
    endpoint: endpointKey(a.service, a.operation),
    service: a.service,
    operation: a.operation,
    score: a.score,
    durationMs: a.durationMs,
    detectedAt: a.detectedAt,
  };
  if (a.surprise !== undefined) item.surprise = a.surprise;
  if (a.link) item.link = a.link;
  if (top)
    item.rootCause = {
      where: top.operation ? endpointKey(top.service, top.operation) : top.service,
      kind: top.kind,
      contribution: top.contribution,
      evidence: top.evidence,
    };
  return item;
}

/**
 * The anomaly's place in a digest: the anomaly store's rank encoding (scoring/rank.ts in fixed-width text),
 * so a lexicographic sorted set orders the minute as `order=score` would, and Redis picks the top.
 */
export function rankMember(a: Anomaly): string {
  return member(encodeRank(rankKey(a), a.feedback?.verdict === 'false-positive'), a.id);
}

/** The digest event of one webhook and minute from what the minute collected. */
export function buildDigest(
  webhookId: string,
  minuteMs: number,
  collected: { count: number; sentSingly: number; top: DigestItem[] },
): AnomalyDigestWebhookEvent {
  return digestEvent({
    webhookId,
    minute: new Date(minuteMs).toISOString(),
    count: collected.count,
    sentSingly: collected.sentSingly,
    top: collected.top.slice(0, DIGEST_TOP),
  });
}
