/**
 * An e-commerce shop shaped like Online Boutique: a frontend fanning out to a dozen gRPC services, a cart kept
 * in Redis, a catalog behind a cache with a database fallback, and order events consumed asynchronously.
 */
import type { Topology } from '../system-topology.js';

const ms = (medianMs: number, sigma = 0.45, tailP = 0.01) => ({ medianMs, sigma, tailP });

// eslint-disable-next-line max-lines-per-function -- a data table (the services and their calls), not logic: it reads best whole
export function shopTopology(): Topology {
  return {
    name: 'shop',
    description:
      'Online-Boutique-like shop: frontend fan-out, cart in Redis, catalog cache + database, async order events',
    services: [
      {
        name: 'frontend',
        kind: 'gateway',
        instances: 3,
        versions: ['2.3.1'],
        language: 'go',
        utilization: 0.35,
      },
      {
        name: 'productcatalogservice',
        instances: 3,
        versions: ['1.8.0', '1.9.0'],
        language: 'go',
        utilization: 0.4,
      },
      { name: 'cartservice', instances: 2, versions: ['1.4.2'], language: 'dotnet' },
      { name: 'currencyservice', instances: 3, versions: ['1.1.0'], language: 'nodejs', utilization: 0.45 },
      { name: 'recommendationservice', instances: 2, versions: ['0.9.4'], language: 'python' },
      { name: 'adservice', instances: 2, versions: ['1.0.3'], language: 'java' },
      { name: 'checkoutservice', instances: 2, versions: ['1.6.0'], language: 'go' },
      { name: 'paymentservice', instances: 2, versions: ['1.2.0'], language: 'nodejs' },
      { name: 'shippingservice', instances: 2, versions: ['1.3.1'], language: 'go' },
      { name: 'emailservice', instances: 2, versions: ['1.0.0'], language: 'python' },
      { name: 'accountingservice', instances: 1, versions: ['0.4.0'], language: 'go' },
      { name: 'redis-cart', kind: 'cache', system: 'redis', instances: 1 },
      { name: 'catalog-cache', kind: 'cache', system: 'redis', instances: 2 },
      { name: 'catalog-db', kind: 'db', system: 'postgresql', instances: 2, utilization: 0.3 },
      { name: 'orders-db', kind: 'db', system: 'postgresql', instances: 1 },
    ],
    operations: [
      {
        service: 'frontend',
        name: 'GET /',
        latency: ms(2.5),
        steps: [
          { to: 'currencyservice/hipstershop.CurrencyService/GetSupportedCurrencies' },
          { to: 'productcatalogservice/hipstershop.ProductCatalogService/ListProducts' },
          { to: 'cartservice/hipstershop.CartService/GetCart', timeoutMs: 800 },
          {
            parallel: [
              { to: 'currencyservice/hipstershop.CurrencyService/Convert', repeat: [6, 9], concurrent: true },
            ],
          },
          { to: 'adservice/hipstershop.AdService/GetAds', optional: true, p: 0.9, timeoutMs: 300 },
          { local: 'render home', latency: ms(1.2, 0.3) },
        ],
      },
      {
        service: 'frontend',
        name: 'GET /product/{id}',
        latency: ms(2),
        steps: [
          {
            to: 'productcatalogservice/hipstershop.ProductCatalogService/GetProduct',
            retries: 1,
            timeoutMs: 1000,
          },
          {
            parallel: [
              { to: 'currencyservice/hipstershop.CurrencyService/GetSupportedCurrencies' },
              { to: 'cartservice/hipstershop.CartService/GetCart', timeoutMs: 800 },
              { to: 'currencyservice/hipstershop.CurrencyService/Convert' },
              {
                to: 'recommendationservice/hipstershop.RecommendationService/ListRecommendations',
                optional: true,
              },
              { to: 'adservice/hipstershop.AdService/GetAds', optional: true, timeoutMs: 300 },
            ],
          },
          { local: 'render product', latency: ms(0.8, 0.3) },
        ],
      },
      {
        service: 'frontend',
        name: 'GET /cart',
        latency: ms(2),
        steps: [
          { to: 'currencyservice/hipstershop.CurrencyService/GetSupportedCurrencies' },
          { to: 'cartservice/hipstershop.CartService/GetCart', timeoutMs: 800 },
          {
            to: 'recommendationservice/hipstershop.RecommendationService/ListRecommendations',
            optional: true,
          },
          { to: 'shippingservice/hipstershop.ShippingService/GetQuote', when: 'cartNonEmpty' },
          {
            to: 'productcatalogservice/hipstershop.ProductCatalogService/GetProduct',
            when: 'cartNonEmpty',
            repeat: [1, 4],
          },
          { to: 'currencyservice/hipstershop.CurrencyService/Convert', when: 'cartNonEmpty', repeat: [1, 4] },
        ],
      },
      {
        service: 'frontend',
        name: 'POST /cart',
        latency: ms(1.5),
        steps: [
          { to: 'productcatalogservice/hipstershop.ProductCatalogService/GetProduct', retries: 1 },
          { to: 'cartservice/hipstershop.CartService/AddItem', timeoutMs: 800 },
        ],
      },
      {
        service: 'frontend',
        name: 'POST /cart/checkout',
        latency: ms(3),
        steps: [{ to: 'checkoutservice/hipstershop.CheckoutService/PlaceOrder', timeoutMs: 5000 }],
      },
      {
        service: 'frontend',
        name: 'POST /setCurrency',
        latency: ms(0.6),
        steps: [],
      },
      {
        service: 'currencyservice',
        name: 'hipstershop.CurrencyService/GetSupportedCurrencies',
        latency: ms(0.6, 0.35),
      },
      { service: 'currencyservice', name: 'hipstershop.CurrencyService/Convert', latency: ms(0.5, 0.35) },
      {
        service: 'productcatalogservice',
        name: 'hipstershop.ProductCatalogService/ListProducts',
        latency: ms(1.2),
        steps: [{ to: 'catalog-db/SELECT products', via: 'db' }],
      },
      {
        service: 'productcatalogservice',
        name: 'hipstershop.ProductCatalogService/GetProduct',
        latency: ms(0.7),
        steps: [
          {
            to: 'catalog-cache/GET product',
            missRate: 0.08,
            fallback: 'catalog-db/SELECT product',
            fill: 'catalog-cache/SET product',
          },
        ],
      },
      {
        service: 'productcatalogservice',
        name: 'hipstershop.ProductCatalogService/SearchProducts',
        latency: ms(3),
        steps: [{ to: 'catalog-db/SELECT products', via: 'db' }],
      },
      { service: 'catalog-cache', name: 'GET product', latency: ms(0.25, 0.3) },
      { service: 'catalog-cache', name: 'SET product', latency: ms(0.3, 0.3) },
      { service: 'catalog-db', name: 'SELECT product', latency: ms(2.5, 0.5, 0.02) },
      { service: 'catalog-db', name: 'SELECT products', latency: ms(6, 0.5, 0.02) },
      {
        service: 'cartservice',
        name: 'hipstershop.CartService/GetCart',
        latency: ms(0.8),
        steps: [{ to: 'redis-cart/HGET' }],
      },
      {
        service: 'cartservice',
        name: 'hipstershop.CartService/AddItem',
        latency: ms(0.9),
        steps: [{ to: 'redis-cart/HGET' }, { to: 'redis-cart/HSET' }],
      },
      {
        service: 'cartservice',
        name: 'hipstershop.CartService/EmptyCart',
        latency: ms(0.6),
        steps: [{ to: 'redis-cart/DEL' }],
      },
      { service: 'redis-cart', name: 'HGET', latency: ms(0.2, 0.3) },
      { service: 'redis-cart', name: 'HSET', latency: ms(0.25, 0.3) },
      { service: 'redis-cart', name: 'DEL', latency: ms(0.2, 0.3) },
      {
        service: 'recommendationservice',
        name: 'hipstershop.RecommendationService/ListRecommendations',
        latency: ms(3, 0.5, 0.02),
        steps: [{ to: 'productcatalogservice/hipstershop.ProductCatalogService/ListProducts' }],
      },
      { service: 'adservice', name: 'hipstershop.AdService/GetAds', latency: ms(1.5, 0.5) },
      {
        service: 'checkoutservice',
        name: 'hipstershop.CheckoutService/PlaceOrder',
        latency: ms(4),
        steps: [
          { to: 'cartservice/hipstershop.CartService/GetCart' },
          { to: 'productcatalogservice/hipstershop.ProductCatalogService/GetProduct', repeat: [1, 4] },
          { to: 'currencyservice/hipstershop.CurrencyService/Convert', repeat: [1, 4] },
          { to: 'shippingservice/hipstershop.ShippingService/GetQuote' },
          { to: 'currencyservice/hipstershop.CurrencyService/Convert' },
          { to: 'paymentservice/hipstershop.PaymentService/Charge', timeoutMs: 3000, retries: 1 },
          { to: 'shippingservice/hipstershop.ShippingService/ShipOrder' },
          { to: 'orders-db/INSERT order' },
          { to: 'cartservice/hipstershop.CartService/EmptyCart' },
          {
            to: 'emailservice/hipstershop.EmailService/SendOrderConfirmation',
            via: 'async',
            topic: 'orders',
          },
          { to: 'accountingservice/orders process', via: 'async', topic: 'orders' },
        ],
      },
      {
        service: 'paymentservice',
        name: 'hipstershop.PaymentService/Charge',
        latency: ms(12, 0.6, 0.03),
        errorRate: 0.002,
      },
      { service: 'shippingservice', name: 'hipstershop.ShippingService/GetQuote', latency: ms(0.9) },
      { service: 'shippingservice', name: 'hipstershop.ShippingService/ShipOrder', latency: ms(1.5) },
      {
        service: 'emailservice',
        name: 'hipstershop.EmailService/SendOrderConfirmation',
        latency: ms(8, 0.5),
      },
      {
        service: 'accountingservice',
        name: 'orders process',
        latency: ms(2),
        steps: [{ to: 'orders-db/UPDATE ledger' }],
      },
      { service: 'orders-db', name: 'INSERT order', latency: ms(3, 0.5, 0.02) },
      { service: 'orders-db', name: 'UPDATE ledger', latency: ms(2.5, 0.5, 0.02) },
    ],
    endpoints: [
      { op: 'frontend/GET /', weight: 0.3 },
      { op: 'frontend/GET /product/{id}', weight: 0.35 },
      { op: 'frontend/GET /cart', weight: 0.12, flags: { cartNonEmpty: 0.7 } },
      { op: 'frontend/POST /cart', weight: 0.12 },
      { op: 'frontend/POST /cart/checkout', weight: 0.06 },
      { op: 'frontend/POST /setCurrency', weight: 0.05 },
    ],
  };
}
