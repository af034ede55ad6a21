/**
 * A deep chain shaped like TrainTicket: a gateway, then six to ten synchronous hops (preserve -> travel ->
 * ticketinfo -> basic -> route/price/station -> mongo), with MongoDB leaves and an async notification.
 */
import type { Topology } from '../system-topology.js';

const ms = (medianMs: number, sigma = 0.45, tailP = 0.01) => ({ medianMs, sigma, tailP });
const app = (name: string, instances = 2, version = '1.0.0') => ({
  name,
  instances,
  versions: [version],
  language: 'java',
});
const mongo = (name: string) => ({ name, kind: 'db' as const, system: 'mongodb', instances: 1 });

// eslint-disable-next-line max-lines-per-function -- a data table (the services and their calls), not logic: it reads best whole
export function chainTopology(): Topology {
  return {
    name: 'chain',
    description: 'TrainTicket-like deep chain: gateway then 6-10 synchronous hops down to MongoDB',
    services: [
      { name: 'ts-ui-dashboard', kind: 'gateway', instances: 2, versions: ['1.0.0'], language: 'nginx' },
      app('ts-auth-service'),
      app('ts-user-service'),
      app('ts-verification-code-service', 1),
      app('ts-preserve-service', 2, '0.2.0'),
      app('ts-security-service'),
      app('ts-contacts-service'),
      app('ts-travel-service', 3),
      app('ts-ticketinfo-service', 2),
      app('ts-basic-service', 3, '1.1.0'),
      app('ts-station-service', 2),
      app('ts-train-service', 2),
      app('ts-route-service', 2),
      app('ts-price-service', 2),
      app('ts-config-service', 2),
      app('ts-seat-service', 2),
      app('ts-order-service', 3, '1.2.0'),
      app('ts-food-service', 1),
      app('ts-notification-service', 1),
      { name: 'ts-station-cache', kind: 'cache', system: 'redis', instances: 1 },
      mongo('ts-user-mongo'),
      mongo('ts-contacts-mongo'),
      mongo('ts-station-mongo'),
      mongo('ts-route-mongo'),
      mongo('ts-price-mongo'),
      mongo('ts-config-mongo'),
      mongo('ts-order-mongo'),
    ],
    operations: [
      {
        service: 'ts-ui-dashboard',
        name: 'POST /api/v1/preserveservice/preserve',
        latency: ms(0.8),
        steps: [
          { to: 'ts-auth-service/POST /api/v1/auth/verify' },
          { to: 'ts-preserve-service/POST /api/v1/preserveservice/preserve', timeoutMs: 10_000 },
        ],
      },
      {
        service: 'ts-ui-dashboard',
        name: 'POST /api/v1/travelservice/trips/left',
        latency: ms(0.6),
        steps: [{ to: 'ts-travel-service/POST /api/v1/travelservice/trips/left', timeoutMs: 10_000 }],
      },
      {
        service: 'ts-ui-dashboard',
        name: 'POST /api/v1/users/login',
        latency: ms(0.5),
        steps: [{ to: 'ts-auth-service/POST /api/v1/users/login' }],
      },
      {
        service: 'ts-ui-dashboard',
        name: 'GET /api/v1/orderservice/order',
        latency: ms(0.5),
        steps: [
          { to: 'ts-auth-service/POST /api/v1/auth/verify' },
          { to: 'ts-order-service/POST /api/v1/orderservice/order/refresh' },
        ],
      },
      { service: 'ts-auth-service', name: 'POST /api/v1/auth/verify', latency: ms(1) },
      {
        service: 'ts-auth-service',
        name: 'POST /api/v1/users/login',
        latency: ms(4),
        steps: [
          { to: 'ts-verification-code-service/GET /api/v1/verifycode/verify' },
          { to: 'ts-user-service/GET /api/v1/userservice/users/id' },
        ],
      },
      { service: 'ts-verification-code-service', name: 'GET /api/v1/verifycode/verify', latency: ms(0.7) },
      {
        service: 'ts-user-service',
        name: 'GET /api/v1/userservice/users/id',
        latency: ms(1.2),
        steps: [{ to: 'ts-user-mongo/find users' }],
      },
      {
        service: 'ts-preserve-service',
        name: 'POST /api/v1/preserveservice/preserve',
        latency: ms(3),
        steps: [
          { to: 'ts-security-service/GET /api/v1/securityservice/securityConfigs/check' },
          { to: 'ts-contacts-service/GET /api/v1/contactservice/contacts/id' },
          { to: 'ts-travel-service/POST /api/v1/travelservice/trip_detail', retries: 1, timeoutMs: 6000 },
          { to: 'ts-seat-service/POST /api/v1/seatservice/seats' },
          { to: 'ts-order-service/POST /api/v1/orderservice/order', retries: 1 },
          { to: 'ts-food-service/POST /api/v1/foodservice/orders', when: 'withFood', optional: true },
          { to: 'ts-notification-service/preserve_success', via: 'async', topic: 'notification' },
        ],
      },
      {
        service: 'ts-security-service',
        name: 'GET /api/v1/securityservice/securityConfigs/check',
        latency: ms(1.5),
        steps: [
          { to: 'ts-order-service/GET /api/v1/orderservice/order/security' },
          { to: 'ts-config-service/GET /api/v1/configservice/configs' },
        ],
      },
      {
        service: 'ts-contacts-service',
        name: 'GET /api/v1/contactservice/contacts/id',
        latency: ms(1),
        steps: [{ to: 'ts-contacts-mongo/find contacts' }],
      },
      {
        service: 'ts-travel-service',
        name: 'POST /api/v1/travelservice/trips/left',
        latency: ms(3),
        steps: [
          { to: 'ts-route-service/GET /api/v1/routeservice/routes', timeoutMs: 3000 },
          {
            to: 'ts-ticketinfo-service/POST /api/v1/ticketinfoservice/ticketinfo',
            repeat: [2, 5],
            timeoutMs: 5000,
          },
          { to: 'ts-seat-service/POST /api/v1/seatservice/seats/left_tickets', repeat: [2, 5] },
        ],
      },
      {
        service: 'ts-travel-service',
        name: 'POST /api/v1/travelservice/trip_detail',
        latency: ms(2),
        steps: [
          { to: 'ts-ticketinfo-service/POST /api/v1/ticketinfoservice/ticketinfo', timeoutMs: 5000 },
          { to: 'ts-seat-service/POST /api/v1/seatservice/seats/left_tickets' },
        ],
      },
      {
        service: 'ts-ticketinfo-service',
        name: 'POST /api/v1/ticketinfoservice/ticketinfo',
        latency: ms(1),
        steps: [{ to: 'ts-basic-service/POST /api/v1/basicservice/basic/travel', timeoutMs: 4000 }],
      },
      {
        service: 'ts-basic-service',
        name: 'POST /api/v1/basicservice/basic/travel',
        latency: ms(2),
        steps: [
          {
            parallel: [
              {
                to: 'ts-station-service/GET /api/v1/stationservice/stations/id',
                repeat: [2, 2],
                concurrent: true,
              },
              { to: 'ts-train-service/GET /api/v1/trainservice/trains/byName' },
            ],
          },
          { to: 'ts-route-service/GET /api/v1/routeservice/routes/id' },
          { to: 'ts-price-service/GET /api/v1/priceservice/prices' },
        ],
      },
      {
        service: 'ts-station-service',
        name: 'GET /api/v1/stationservice/stations/id',
        latency: ms(0.8),
        steps: [
          {
            to: 'ts-station-cache/GET station',
            missRate: 0.1,
            fallback: 'ts-station-mongo/find stations',
            fill: 'ts-station-cache/SET station',
          },
        ],
      },
      { service: 'ts-station-cache', name: 'GET station', latency: ms(0.2, 0.3) },
      { service: 'ts-station-cache', name: 'SET station', latency: ms(0.25, 0.3) },
      { service: 'ts-train-service', name: 'GET /api/v1/trainservice/trains/byName', latency: ms(0.9) },
      {
        service: 'ts-route-service',
        name: 'GET /api/v1/routeservice/routes/id',
        latency: ms(0.9),
        steps: [{ to: 'ts-route-mongo/find routes' }],
      },
      {
        service: 'ts-route-service',
        name: 'GET /api/v1/routeservice/routes',
        latency: ms(1.5),
        steps: [{ to: 'ts-route-mongo/find routes' }],
      },
      {
        service: 'ts-price-service',
        name: 'GET /api/v1/priceservice/prices',
        latency: ms(0.8),
        steps: [
          { to: 'ts-price-mongo/find price_config' },
          { to: 'ts-config-service/GET /api/v1/configservice/configs' },
        ],
      },
      {
        service: 'ts-config-service',
        name: 'GET /api/v1/configservice/configs',
        latency: ms(0.6),
        steps: [{ to: 'ts-config-mongo/find configs' }],
      },
      {
        service: 'ts-seat-service',
        name: 'POST /api/v1/seatservice/seats/left_tickets',
        latency: ms(1.5),
        steps: [
          { to: 'ts-order-service/POST /api/v1/orderservice/order/tickets' },
          { to: 'ts-config-service/GET /api/v1/configservice/configs' },
        ],
      },
      {
        service: 'ts-seat-service',
        name: 'POST /api/v1/seatservice/seats',
        latency: ms(1.5),
        steps: [{ to: 'ts-order-service/POST /api/v1/orderservice/order/tickets' }],
      },
      {
        service: 'ts-order-service',
        name: 'POST /api/v1/orderservice/order/tickets',
        latency: ms(1),
        steps: [{ to: 'ts-order-mongo/find orders' }],
      },
      {
        service: 'ts-order-service',
        name: 'GET /api/v1/orderservice/order/security',
        latency: ms(1),
        steps: [{ to: 'ts-order-mongo/count orders' }],
      },
      {
        service: 'ts-order-service',
        name: 'POST /api/v1/orderservice/order',
        latency: ms(2),
        steps: [{ to: 'ts-order-mongo/insert orders' }],
      },
      {
        service: 'ts-order-service',
        name: 'POST /api/v1/orderservice/order/refresh',
        latency: ms(1.5),
        steps: [{ to: 'ts-order-mongo/find orders' }],
      },
      { service: 'ts-food-service', name: 'POST /api/v1/foodservice/orders', latency: ms(2) },
      { service: 'ts-notification-service', name: 'preserve_success', latency: ms(5) },
      { service: 'ts-user-mongo', name: 'find users', latency: ms(1.2, 0.5, 0.02) },
      { service: 'ts-contacts-mongo', name: 'find contacts', latency: ms(1.1, 0.5, 0.02) },
      { service: 'ts-station-mongo', name: 'find stations', latency: ms(0.9, 0.5, 0.02) },
      { service: 'ts-route-mongo', name: 'find routes', latency: ms(1.3, 0.5, 0.02) },
      { service: 'ts-price-mongo', name: 'find price_config', latency: ms(1, 0.5, 0.02) },
      { service: 'ts-config-mongo', name: 'find configs', latency: ms(0.8, 0.5, 0.02) },
      { service: 'ts-order-mongo', name: 'find orders', latency: ms(1.8, 0.5, 0.02) },
      { service: 'ts-order-mongo', name: 'count orders', latency: ms(1.5, 0.5, 0.02) },
      { service: 'ts-order-mongo', name: 'insert orders', latency: ms(2.5, 0.5, 0.02) },
    ],
    endpoints: [
      { op: 'ts-ui-dashboard/POST /api/v1/preserveservice/preserve', weight: 0.2, flags: { withFood: 0.4 } },
      { op: 'ts-ui-dashboard/POST /api/v1/travelservice/trips/left', weight: 0.45 },
      { op: 'ts-ui-dashboard/POST /api/v1/users/login', weight: 0.15 },
      { op: 'ts-ui-dashboard/GET /api/v1/orderservice/order', weight: 0.2 },
    ],
  };
}
