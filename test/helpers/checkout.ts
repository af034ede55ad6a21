import { normalizeTrace } from '../../src/trace/normalize.js';
import { raw } from './spans.js';

export interface Shape {
  /** payment:Charge duration, µs. */
  chargeUs?: number;
  /** cart:GetCart (and its redis:GET) called. */
  cart?: boolean;
  /** fraud:Check (-> fraud-db:Query) called (calls normal traffic never makes). */
  fraud?: boolean;
  /** inventory:Reserve fails. */
  failed?: boolean;
  /** How many inventory:Reserve calls (a second shape of normal traffic when 2). */
  reserves?: number;
  /** Added to the root, µs: traces of one shape with different total durations. */
  extraUs?: number;
}

/**
 * frontend:GET /checkout -> checkout:PlaceOrder -> cart:GetCart -> redis:GET, then payment:Charge, then
 * inventory:Reserve (once or more). Timings are laid end to end so self times are easy to reckon.
 */
export function checkout(n: number, s: Shape = {}) {
  const traceId = n.toString(16).padStart(32, '0');
  const t = 1_700_000_000_000_000 + n * 10_000_000;
  const charge = s.chargeUs ?? 12_000;
  const cart = s.cart ?? true;
  const reserves = s.reserves ?? 1;
  const spans = [];
  let at = t + 2_000;
  if (cart) {
    spans.push(
      raw({
        traceId,
        spanId: 'c1',
        parentId: '2',
        service: 'cart',
        operation: 'GetCart',
        start: at,
        duration: 6_000,
      }),
      raw({
        traceId,
        spanId: 'c2',
        parentId: 'c1',
        service: 'redis',
        operation: 'GET',
        start: at + 1_000,
        duration: 2_000,
      }),
    );
    at += 6_000;
  }
  if (s.fraud) {
    spans.push(
      raw({
        traceId,
        spanId: 'f1',
        parentId: '2',
        service: 'fraud',
        operation: 'Check',
        start: at,
        duration: 4_000,
      }),
      raw({
        traceId,
        spanId: 'f2',
        parentId: 'f1',
        service: 'fraud-db',
        operation: 'Query',
        start: at + 1_000,
        duration: 1_000,
      }),
    );
    at += 4_000;
  }
  spans.push(
    raw({
      traceId,
      spanId: 'p1',
      parentId: '2',
      service: 'payment',
      operation: 'Charge',
      start: at,
      duration: charge,
    }),
  );
  at += charge;
  for (let r = 0; r < reserves; r++) {
    spans.push(
      raw({
        traceId,
        spanId: `r${r}`,
        parentId: '2',
        service: 'inventory',
        operation: 'Reserve',
        start: at,
        duration: 3_000,
        error: s.failed ?? false,
      }),
    );
    at += 3_000;
  }
  const end = at + 1_000 + (s.extraUs ?? 0);
  spans.push(
    raw({
      traceId,
      spanId: '1',
      service: 'frontend',
      operation: 'GET /checkout',
      start: t,
      duration: end + 1_000 - t,
    }),
    raw({
      traceId,
      spanId: '2',
      parentId: '1',
      service: 'checkout',
      operation: 'PlaceOrder',
      start: t + 1_000,
      duration: end - t - 1_000,
    }),
  );
  return normalizeTrace(traceId, spans);
}
