import { describe, expect, it } from 'vitest';
import { parseClusterNodes } from '../../src/jobs/redis.js';
import { loadConfig } from '../../src/config.js';

describe('Redis Cluster configuration', () => {
  it('reads seed nodes, IPv6 included, and says which entry is wrong', () => {
    expect(parseClusterNodes('10.0.0.1:7000, redis-b:7001,[::1]:7002')).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(() => parseClusterNodes('a:7000,b')).toThrow(/"b" is not host:port/);
    expect(() => parseClusterNodes('a:99999')).toThrow(/"a:99999"/);
  });

  it('is checked at start with the variable named', () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'a:7000,b:7001' }).REDIS_CLUSTER_NODES).toBe('a:7000,b:7001');
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:7000;b' })).toThrow(
      /REDIS_CLUSTER_NODES: expected host:port/,
    );
  });
});
