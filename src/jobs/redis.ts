import { Redis } from 'ioredis';

/**
 * A Redis connection for the service. BullMQ needs `maxRetriesPerRequest: null` (blocking commands wait out a
 * reconnect instead of failing). Errors are logged, never thrown: ioredis reconnects by itself.
 */
export function createRedis(url: string, log: (msg: string) => void = () => {}): Redis {
  const r = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
  let last = '';
  r.on('error', (err: Error) => {
    if (err.message !== last) log(`redis ${url.replace(/\/\/[^@]*@/, '//***@')}: ${err.message}`);
    last = err.message;
  });
  r.on('ready', () => (last = ''));
  return r;
}

/** BullMQ queue keys carry a hash tag so that, in a Redis Cluster, each queue lives on one slot. */
export const QUEUE_PREFIX = '{th}';

export const QUEUES = { poll: 'poll', score: 'score', train: 'train', maintenance: 'maintenance' } as const;
