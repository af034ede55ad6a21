/**
 * A fan-out-heavy search and aggregation service: a query fans out to every index shard in parallel, the
 * aggregator fetches the top documents concurrently, a ranker scores them, and results are cached.
 */
import type { Topology } from '../system-topology.js';

const ms = (medianMs: number, sigma = 0.45, tailP = 0.01) => ({ medianMs, sigma, tailP });

export function searchTopology(): Topology {
  return {
    name: 'search',
    description:
      'Search and aggregation: parallel fan-out to 8 index shards, concurrent document fetches, ranking, result cache',
    services: [
      { name: 'search-api', kind: 'gateway', instances: 3, versions: ['3.2.0'], language: 'go' },
      { name: 'query-parser', instances: 2, versions: ['1.4.0'], language: 'rust' },
      { name: 'aggregator', instances: 3, versions: ['2.0.1', '2.1.0'], language: 'go' },
      { name: 'index-shard', instances: 8, versions: ['5.1.0'], language: 'java', utilization: 0.45 },
      { name: 'doc-store', instances: 4, versions: ['1.9.2'], language: 'go' },
      { name: 'ranker', instances: 3, versions: ['0.12.0'], language: 'python', utilization: 0.4 },
      { name: 'feature-store', instances: 2, versions: ['1.0.0'], language: 'go' },
      { name: 'spellcheck', instances: 2, versions: ['1.1.0'], language: 'python' },
      { name: 'suggest-service', instances: 2, versions: ['1.3.0'], language: 'go' },
      { name: 'personalization', instances: 2, versions: ['0.8.0'], language: 'python' },
      { name: 'analytics-consumer', instances: 1, versions: ['1.0.0'], language: 'java' },
      { name: 'results-cache', kind: 'cache', system: 'redis', instances: 2 },
      { name: 'suggest-cache', kind: 'cache', system: 'redis', instances: 1 },
      { name: 'docs-db', kind: 'db', system: 'cassandra', instances: 3, utilization: 0.3 },
      { name: 'profiles-db', kind: 'db', system: 'postgresql', instances: 1 },
    ],
    operations: [
      {
        service: 'search-api',
        name: 'GET /search',
        latency: ms(1),
        steps: [
          { to: 'query-parser/Parse' },
          {
            to: 'results-cache/GET results',
            missRate: 0.6,
            fallback: 'aggregator/Search',
            fill: 'results-cache/SET results',
          },
          { to: 'analytics-consumer/search-events process', via: 'async', topic: 'search-events' },
        ],
      },
      {
        service: 'search-api',
        name: 'GET /suggest',
        latency: ms(0.5),
        steps: [
          {
            to: 'suggest-cache/GET suggest',
            missRate: 0.3,
            fallback: 'suggest-service/Suggest',
            fill: 'suggest-cache/SET suggest',
          },
        ],
      },
      {
        service: 'search-api',
        name: 'GET /doc/{id}',
        latency: ms(0.7),
        steps: [{ to: 'doc-store/GetDocument' }],
      },
      {
        service: 'query-parser',
        name: 'Parse',
        latency: ms(0.8),
        steps: [{ to: 'spellcheck/Check', p: 0.5, optional: true, timeoutMs: 50 }],
      },
      { service: 'spellcheck', name: 'Check', latency: ms(2, 0.6, 0.03) },
      {
        service: 'aggregator',
        name: 'Search',
        latency: ms(1.5),
        steps: [
          {
            parallel: [
              { to: 'index-shard/ShardSearch', repeat: [8, 8], concurrent: true, timeoutMs: 250, retries: 1 },
              { to: 'personalization/GetProfile', optional: true, timeoutMs: 100, when: 'loggedIn' },
            ],
          },
          { local: 'merge shard results', latency: ms(0.8, 0.3) },
          { to: 'doc-store/GetDocument', repeat: [10, 20], concurrent: true },
          { to: 'ranker/Rank', timeoutMs: 500 },
        ],
      },
      { service: 'index-shard', name: 'ShardSearch', latency: ms(6, 0.5, 0.02) },
      {
        service: 'doc-store',
        name: 'GetDocument',
        latency: ms(0.4),
        steps: [{ to: 'docs-db/SELECT document' }],
      },
      {
        service: 'ranker',
        name: 'Rank',
        latency: ms(8, 0.4),
        steps: [{ to: 'feature-store/GetFeatures', repeat: [1, 3] }],
      },
      { service: 'feature-store', name: 'GetFeatures', latency: ms(1.2) },
      {
        service: 'personalization',
        name: 'GetProfile',
        latency: ms(1),
        steps: [{ to: 'profiles-db/SELECT profile' }],
      },
      { service: 'suggest-service', name: 'Suggest', latency: ms(2.5) },
      {
        service: 'analytics-consumer',
        name: 'search-events process',
        latency: ms(1.5),
      },
      { service: 'results-cache', name: 'GET results', latency: ms(0.3, 0.3) },
      { service: 'results-cache', name: 'SET results', latency: ms(0.4, 0.3) },
      { service: 'suggest-cache', name: 'GET suggest', latency: ms(0.2, 0.3) },
      { service: 'suggest-cache', name: 'SET suggest', latency: ms(0.25, 0.3) },
      { service: 'docs-db', name: 'SELECT document', latency: ms(1.5, 0.5, 0.02) },
      { service: 'profiles-db', name: 'SELECT profile', latency: ms(1, 0.4) },
    ],
    endpoints: [
      { op: 'search-api/GET /search', weight: 0.65, flags: { loggedIn: 0.5 } },
      { op: 'search-api/GET /suggest', weight: 0.3 },
      { op: 'search-api/GET /doc/{id}', weight: 0.05 },
    ],
  };
}
