/**
 * The request code of the backend services: what each operation does, in order, with its own work in
 * milliseconds (medians; the spread and the tail come from SpanCtx.work). Written as the services' code
 * would read, so that a fault's consequences (skipped calls, failed callers) follow from the code.
 */
import { db, external, grpc, http, produce, type Consumer } from './calls.js';
import type { SpanCtx } from './span-ctx.js';
import { TRIPS_DB } from './faults.js';

const GEO_REDIS = 'geo-redis.data.svc.cluster.local';
const SURGE_REDIS = 'surge-redis.data.svc.cluster.local';
const RIDES_REDIS = 'rides-redis.data.svc.cluster.local';
const RISK_REDIS = 'risk-redis.data.svc.cluster.local';
const PAYMENTS_DB = 'payments-db.data.svc.cluster.local';
export const LEDGER_DB = 'ledger-db.data.svc.cluster.local';
const PROMOS_MONGO = 'promotions-mongo.data.svc.cluster.local';
const PUSH_API = 'https://push.notify-hub.example/v3/messages';
const MAIL_API = 'https://mail.notify-hub.example/v1/send';
const PSP_API = 'https://api.paygate-europe.example/v2/charges';

export { TRIPS_DB };

const id = (ctx: SpanCtx, n = 12) => ctx.rng.hexId(8).slice(0, n);

export function validateToken(ctx: SpanCtx): void {
  // RS256 signature check against cached keys: CPU only, about 2 ms
  ctx.work(1.9, 0.22, 0.004);
}

/** Drivers near a point; returns how many candidates came back. */
export function nearbyDrivers(ctx: SpanCtx): number {
  let found = 0;
  grpc(ctx, 'geo', 'ridehail.geo.v1.GeoService', 'NearbyDrivers', (g) => {
    g.work(0.5);
    db(
      g,
      'redis',
      GEO_REDIS,
      'GEOSEARCH',
      undefined,
      'GEOSEARCH drivers:available FROMLONLAT ? ? BYRADIUS ? km',
      0.45,
    );
    found = g.rng.int(1, 6);
    g.work(0.25 * found + 0.3);
  });
  return found;
}

export function route(ctx: SpanCtx): void {
  grpc(ctx, 'eta', 'ridehail.eta.v1.EtaService', 'Route', (e) => e.work(9, 0.45, 0.02));
}

function promotionsFor(ctx: SpanCtx): void {
  const rider = id(ctx);
  http(ctx, 'promotions', 'GET', '/v1/promotions/:riderId', `/v1/promotions/${rider}`, (p) => {
    p.internal('middleware - query', (m) => m.work(0.02, 0.3, 0));
    p.internal('middleware - expressInit', (m) => m.work(0.02, 0.3, 0));
    p.internal('request handler - /v1/promotions/:riderId', (h) => {
      db(h, 'mongodb', PROMOS_MONGO, 'find', 'promotions', '{"riderId":"?","active":true}', 1.1);
      h.work(0.35);
    });
  });
}

function pricing(ctx: SpanCtx, method: 'Estimate' | 'Quote'): boolean {
  return grpc(ctx, 'pricing', 'ridehail.pricing.v1.PricingService', method, (p) => {
    p.work(method === 'Estimate' ? 1.2 : 0.8);
    // promotions answers or not: pricing quotes without a discount when it cannot reach it
    p.parallel(nearbyDrivers, promotionsFor);
    db(p, 'redis', SURGE_REDIS, 'GET', undefined, 'GET surge:zone:?', 0.3);
    p.work(method === 'Estimate' ? 2.6 : 1.5, 0.35);
    if (method === 'Quote') db(p, 'redis', SURGE_REDIS, 'SET', undefined, 'SET quote:? ? EX 120', 0.3);
  }).ok;
}

export const estimate = (ctx: SpanCtx) => pricing(ctx, 'Estimate');
export const quote = (ctx: SpanCtx) => pricing(ctx, 'Quote');

export function fraudScore(ctx: SpanCtx): boolean {
  return grpc(ctx, 'fraud', 'ridehail.fraud.v1.FraudService', 'Score', (f) => {
    f.work(0.7);
    db(f, 'redis', RISK_REDIS, 'HGETALL', undefined, 'HGETALL risk:rider:?', 0.35);
    if (f.raisesHere()) return;
    f.internal('predict', (m) => m.work(3.2, 0.3, 0.01), { 'model.name': 'gbm-risk-v7' });
    f.work(0.3);
  }).ok;
}

const pushNotifier: Consumer = {
  service: 'notifications',
  group: 'notifications',
  handler: (n) => {
    n.work(0.5);
    external(n, 'POST', PUSH_API, 45);
    n.work(0.1);
  },
};

export function createRide(ctx: SpanCtx): boolean {
  return grpc(ctx, 'trips', 'ridehail.trips.v1.TripService', 'CreateRide', (t) => {
    t.work(0.5);
    db(
      t,
      'postgresql',
      TRIPS_DB,
      'INSERT',
      'rides',
      'INSERT INTO rides (id, rider_id, pickup, dropoff, quote_id, status) VALUES ($1, $2, $3, $4, $5, $6)',
      2.4,
    );
    produce(t, 'ride-events', id(t, 16), [pushNotifier]);
    t.work(0.2);
  }).ok;
}

/** The ride's state; a release with the N+1 fault reads each stop with its own query and skips the cache. */
export function getRide(ctx: SpanCtx): boolean {
  return grpc(ctx, 'trips', 'ridehail.trips.v1.TripService', 'GetRide', (t) => {
    t.work(0.3);
    const nPlusOne = t.tb.world.faults.nPlusOne('trips', 'GetRide', t.now);
    if (nPlusOne) {
      db(t, 'postgresql', TRIPS_DB, 'SELECT', 'rides', 'SELECT * FROM rides WHERE id = $1', 1.1);
      const stops = t.rng.int(2, 9);
      for (let i = 0; i < stops; i++)
        db(
          t,
          'postgresql',
          TRIPS_DB,
          'SELECT',
          'ride_stops',
          'SELECT * FROM ride_stops WHERE ride_id = $1 AND seq = $2',
          0.6,
        );
      t.tb.effect(nPlusOne, 'trips', `trips GetRide ran ${stops + 1} queries and skipped its cache`);
    } else {
      db(t, 'redis', RIDES_REDIS, 'GET', undefined, 'GET ride:?', 0.3);
      if (t.rng.chance(0.15)) {
        db(
          t,
          'postgresql',
          TRIPS_DB,
          'SELECT',
          'rides',
          'SELECT r.*, s.* FROM rides r JOIN ride_stops s ON s.ride_id = r.id WHERE r.id = $1',
          1.6,
        );
        db(t, 'redis', RIDES_REDIS, 'SET', undefined, 'SET ride:? ? EX 30', 0.25);
      }
    }
    t.work(0.3);
  }).ok;
}

const ledgerWriter: Consumer = {
  service: 'ledger',
  group: 'ledger',
  handler: (l) => {
    l.work(0.8);
    db(
      l,
      'postgresql',
      LEDGER_DB,
      'INSERT',
      'ledger_entries',
      'INSERT INTO ledger_entries (ride_id, driver_id, amount, currency) VALUES (?, ?, ?, ?)',
      2,
    );
  },
};

const receiptMailer: Consumer = {
  service: 'notifications',
  group: 'receipts',
  handler: (n) => {
    n.work(1.5);
    external(n, 'POST', MAIL_API, 110);
  },
};

export function completeRide(ctx: SpanCtx): boolean {
  return grpc(ctx, 'trips', 'ridehail.trips.v1.TripService', 'CompleteRide', (t) => {
    t.work(0.4);
    db(
      t,
      'postgresql',
      TRIPS_DB,
      'UPDATE',
      'rides',
      "UPDATE rides SET status = 'completed', completed_at = now() WHERE id = $1",
      2.8,
    );
    db(t, 'redis', RIDES_REDIS, 'DEL', undefined, 'DEL ride:?', 0.2);
    produce(t, 'ride-events', id(t, 16), [ledgerWriter, receiptMailer]);
  }).ok;
}

export function dispatch(ctx: SpanCtx): boolean {
  return grpc(ctx, 'matching', 'ridehail.matching.v1.MatchingService', 'Dispatch', (m) => {
    m.work(1.4);
    const k = Math.min(4, nearbyDrivers(m));
    m.parallel(...Array.from({ length: k }, () => route));
    db(m, 'redis', RIDES_REDIS, 'MGET', undefined, 'MGET driver:state:? driver:state:?', 0.4);
    m.internal('rank candidates', (r) => r.work(2.4, 0.35));
    produce(m, 'dispatch-offers', id(m, 16), [pushNotifier]);
    m.work(0.4);
  }).ok;
}

export function charge(ctx: SpanCtx): boolean {
  return grpc(ctx, 'payments', 'ridehail.payments.v1.PaymentService', 'Charge', (p) => {
    p.work(1.0);
    if (!fraudScore(p))
      return p.fail(13, 'risk check unavailable', 'com.ridehail.payments.RiskCheckException');
    db(
      p,
      'postgresql',
      PAYMENTS_DB,
      'SELECT',
      'payment_methods',
      'SELECT * FROM payment_methods WHERE rider_id = ? AND is_default',
      1.5,
    );
    if (!external(p, 'POST', PSP_API, 180, 0.004).ok)
      return p.fail(13, 'payment provider error', 'com.ridehail.payments.PspException');
    db(
      p,
      'postgresql',
      PAYMENTS_DB,
      'INSERT',
      'charges',
      'INSERT INTO charges (ride_id, amount, currency, psp_ref, status) VALUES (?, ?, ?, ?, ?)',
      2,
    );
    p.work(0.5);
  }).ok;
}

export function earnings(ctx: SpanCtx): boolean {
  const driver = id(ctx);
  return http(ctx, 'ledger', 'GET', '/v1/earnings/{driverId}', `/v1/earnings/${driver}`, (l) => {
    l.work(0.9);
    db(
      l,
      'postgresql',
      LEDGER_DB,
      'SELECT',
      'ledger_entries',
      "SELECT sum(amount) FROM ledger_entries WHERE driver_id = ? AND created_at > now() - interval '7 days'",
      5,
    );
    l.work(0.6);
  }).ok;
}

const surgeCounter: Consumer = {
  service: 'surge',
  group: 'surge-aggregator',
  handler: (s) => {
    s.work(0.4);
    db(s, 'redis', SURGE_REDIS, 'HINCRBY', undefined, 'HINCRBY supply:zone:? ? 1', 0.3);
  },
};

export function ingestLocation(ctx: SpanCtx): boolean {
  return grpc(ctx, 'location-ingest', 'ridehail.location.v1.LocationIngest', 'Ingest', (li) => {
    li.work(0.3);
    grpc(li, 'geo', 'ridehail.geo.v1.GeoService', 'UpdateLocation', (g) => {
      g.work(0.3);
      db(g, 'redis', GEO_REDIS, 'GEOADD', undefined, 'GEOADD drivers:available ? ? ?', 0.25);
    });
    produce(li, 'driver-locations', id(li, 16), [surgeCounter]);
    li.work(0.1);
  }).ok;
}
