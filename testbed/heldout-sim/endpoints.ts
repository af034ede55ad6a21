/**
 * The entry points: six public endpoints behind the edge gateway (two Node BFFs with Express middleware, one
 * per app) and the ledger's reconciliation cron. Their mix is that of a city at mid-day: most requests are
 * driver location pings and riders polling their ride.
 */
import { db, grpc, http } from './calls.js';
import { SpanCtx, type Handler } from './span-ctx.js';
import type { TraceBuilder } from './trace-builder.js';
import type { AttrValue } from './model.js';
import { httpServer, httpStatusKey } from './semconv.js';
import {
  LEDGER_DB,
  TRIPS_DB,
  charge,
  completeRide,
  createRide,
  dispatch,
  earnings,
  estimate,
  fraudScore,
  getRide,
  ingestLocation,
  quote,
  route,
  validateToken,
} from './backends.js';

type Bff = 'rider-bff' | 'driver-bff';

export interface Endpoint {
  /** `METHOD /route` as the gateway names its server span. */
  name: string;
  /** Share of the public traffic. */
  weight: number;
  bff: Bff;
  method: string;
  /** Express route at the BFF; the gateway writes `{id}` where Express writes `:id`. */
  route: string;
  /** The BFF's request handler: false when the request failed (the BFF answers 502). */
  body: (ctx: SpanCtx) => boolean;
}

export const ENDPOINTS: readonly Endpoint[] = [
  {
    name: 'POST /v1/driver/location',
    weight: 0.38,
    bff: 'driver-bff',
    method: 'POST',
    route: '/v1/driver/location',
    body: ingestLocation,
  },
  {
    name: 'GET /v1/rides/{rideId}',
    weight: 0.25,
    bff: 'rider-bff',
    method: 'GET',
    route: '/v1/rides/:rideId',
    body: (h) => {
      if (!getRide(h)) return false;
      // a ride under way also shows the driver's ETA
      if (h.rng.chance(0.5)) route(h);
      h.work(0.2);
      return true;
    },
  },
  {
    name: 'GET /v1/rides/estimate',
    weight: 0.2,
    bff: 'rider-bff',
    method: 'GET',
    route: '/v1/rides/estimate',
    body: (h) => {
      let ok = true;
      h.parallel(
        (c) => (ok = estimate(c)),
        (c) => route(c),
      );
      h.work(0.3);
      return ok;
    },
  },
  {
    name: 'POST /v1/rides',
    weight: 0.06,
    bff: 'rider-bff',
    method: 'POST',
    route: '/v1/rides',
    body: (h) => fraudScore(h) && quote(h) && createRide(h) && dispatch(h),
  },
  {
    name: 'POST /v1/rides/{rideId}/complete',
    weight: 0.05,
    bff: 'driver-bff',
    method: 'POST',
    route: '/v1/rides/:rideId/complete',
    body: (h) => completeRide(h) && charge(h),
  },
  {
    name: 'GET /v1/driver/earnings',
    weight: 0.06,
    bff: 'driver-bff',
    method: 'GET',
    route: '/v1/driver/earnings',
    body: earnings,
  },
];

const USER_AGENTS: Record<Bff, string[]> = {
  'rider-bff': ['RideHail-Rider/5.12.0 (iPhone; iOS 18.3)', 'RideHail-Rider/5.11.2 (Android 14; Pixel 8)'],
  'driver-bff': ['RideHail-Driver/3.4.1 (Android 14; SM-A546B)', 'RideHail-Driver/3.4.0 (iPhone; iOS 17.7)'],
};

/** A span no caller traced: the trace's root, on a pod of `service` picked at random. */
function rootSpan(
  tb: TraceBuilder,
  service: string,
  at: number,
  root: { name: string; kind: 'server' | 'internal'; attrs: Record<string, AttrValue> },
  h: Handler,
): void {
  const pods = tb.world.pods(service);
  const spec = tb.world.spec(service);
  const podIndex = Math.floor(tb.rng.uniform() * pods.length);
  const start = tb.world.stallsOf(pods[podIndex]).run(at, 0).end;
  const span = tb.span(undefined, root.name, root.kind, start, pods[podIndex], root.attrs);
  const ctx = new SpanCtx(tb, span, spec, podIndex, root.name, root.kind === 'server' ? 'http' : 'none');
  h(ctx);
  span.end = ctx.now;
  if (root.kind === 'server') span.attributes[httpStatusKey(spec)] = ctx.code;
}

/** The BFF side: Express middleware, the token check, then the route's handler. */
function bffHandler(e: Endpoint): Handler {
  return (b) => {
    b.internal('middleware - query', (m) => m.work(0.02, 0.3, 0));
    b.internal('middleware - expressInit', (m) => m.work(0.02, 0.3, 0));
    if (e.method !== 'GET') b.internal('middleware - jsonParser', (m) => m.work(0.12, 0.5));
    let authed = true;
    b.internal('middleware - authenticate', (m) => {
      authed = grpc(m, 'auth', 'ridehail.auth.v1.AuthService', 'ValidateToken', validateToken).ok;
    });
    if (!authed) return b.fail(503, 'auth unavailable');
    let ok = true;
    b.internal(`request handler - ${e.route}`, (h) => {
      ok = e.body(h);
    });
    if (!ok) b.fail(502, 'Bad Gateway');
  };
}

/** One public request: gateway server span (the root), its call to the BFF, and everything below. */
export function publicRequest(tb: TraceBuilder, e: Endpoint, at: number): void {
  const ua = tb.rng.pick(USER_AGENTS[e.bff]);
  const rideId = tb.rng.hexId(8);
  const path = e.route.replace(':rideId', rideId);
  const gwRoute = e.route.replace(':rideId', '{rideId}');
  const { name, attrs } = httpServer(tb.world.spec('edge-gateway'), e.method, gwRoute, path, ua);
  rootSpan(
    tb,
    'edge-gateway',
    at,
    {
      name,
      kind: 'server',
      attrs: { ...attrs, 'client.address': `10.42.${tb.rng.int(0, 3)}.${tb.rng.int(2, 250)}` },
    },
    (gw) => {
      gw.work(0.12, 0.3);
      const r = http(gw, e.bff, e.method, e.route, path, bffHandler(e), ua);
      gw.work(0.04, 0.3);
      if (!r.ok) gw.fail(r.code, `upstream ${e.bff} answered ${r.code}`);
    },
  );
}

/** The ledger's reconciliation job, every minute: heavy reads on both databases. */
export function reconcileJob(tb: TraceBuilder, at: number): void {
  rootSpan(
    tb,
    'ledger',
    at,
    {
      name: 'LedgerReconciler.reconcile',
      kind: 'internal',
      attrs: { 'code.function': 'reconcile', 'code.namespace': 'com.ridehail.ledger.LedgerReconciler' },
    },
    (j) => {
      j.work(3);
      db(
        j,
        'postgresql',
        TRIPS_DB,
        'SELECT',
        'rides',
        "SELECT id, fare, completed_at FROM rides WHERE completed_at > ? AND status = 'completed'",
        240,
      );
      db(
        j,
        'postgresql',
        LEDGER_DB,
        'SELECT',
        'ledger_entries',
        'SELECT ride_id, amount FROM ledger_entries WHERE created_at > ?',
        110,
      );
      j.work(35, 0.4);
      db(
        j,
        'postgresql',
        LEDGER_DB,
        'UPDATE',
        'ledger_entries',
        'UPDATE ledger_entries SET reconciled = true WHERE ride_id = ANY(?)',
        25,
      );
    },
  );
}
