import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisClient } from '../store/redis-client.js';

export type { RedisClient } from '../store/redis-client.js';

export interface RedisTarget {
  /** redis:// or rediss:// URL; with `clusterNodes` only its credentials, TLS and options are used. */
  url: string;
  /** Seed nodes of a Redis Cluster, `host:port,host:port`; the rest of the cluster is discovered. */
  clusterNodes?: string;
}

/** Parses `host:port,host:port` (IPv6 as `[::1]:7000`), saying which entry is wrong. */
export function parseClusterNodes(spec: string): { host: string; port: number }[] {
  const nodes = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(entry);
      const port = m ? Number(m[2]) : NaN;
      if (!m || port < 1 || port > 65535) throw new Error(`REDIS_CLUSTER_NODES: "${entry}" is not host:port`);
      return { host: m[1].replace(/^\[|\]$/g, ''), port };
    });
  if (nodes.length === 0) throw new Error('REDIS_CLUSTER_NODES: no node given');
  return nodes;
}

/** What a redis:// URL says besides the address: credentials, database, TLS. */
function urlOptions(url: string): RedisOptions {
  const u = new URL(url);
  const o: RedisOptions = {};
  if (u.username) o.username = decodeURIComponent(u.username);
  if (u.password) o.password = decodeURIComponent(u.password);
  if (u.protocol === 'rediss:') o.tls = {};
  return o;
}

/**
 * A Redis connection for the service, to one server or a Redis Cluster. BullMQ needs
 * `maxRetriesPerRequest: null` (blocking commands wait out a reconnect instead of failing). Errors are
 * logged, never thrown: ioredis reconnects by itself.
 */
export function createRedis(
  target: string | RedisTarget,
  log: (msg: string) => void = () => {},
): RedisClient {
  const t = typeof target === 'string' ? { url: target } : target;
  const common: RedisOptions = { maxRetriesPerRequest: null, enableReadyCheck: true };
  const r: RedisClient = t.clusterNodes
    ? new Cluster(parseClusterNodes(t.clusterNodes), {
        redisOptions: { ...urlOptions(t.url), ...common },
        // Commands wait for the slot map instead of failing while the cluster (re)connects.
        enableOfflineQueue: true,
        enableReadyCheck: true,
      })
    : new Redis(t.url, common);
  const where = redisWhere(t);
  // ioredis reports every failed reconnect: one line per new message, and at most one per 30 s while down.
  let last = '';
  let lastAt = -Infinity;
  r.on('error', (err: Error) => {
    const at = Date.now();
    if (err.message !== last && at - lastAt >= 30_000) {
      log(`Redis at ${where}: ${err.message}`);
      lastAt = at;
    }
    last = err.message;
  });
  r.on('ready', () => {
    last = '';
    lastAt = -Infinity;
  });
  return r;
}

/** Where a target points, for log lines, without its password. */
export function redisWhere(t: RedisTarget): string {
  return t.clusterNodes ? `cluster ${t.clusterNodes}` : t.url.replace(/\/\/[^@]*@/, '//***@');
}
