export { startRedis, freePort, type PrivateRedis as TestRedis } from '../../src/service/private-redis.js';
