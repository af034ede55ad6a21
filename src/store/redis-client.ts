import type { Cluster, Redis } from 'ioredis';

/**
 * What the repositories talk to: one Redis or a Redis Cluster. Every repository keeps the keys that one Lua
 * script or MULTI touches under one hash tag, so each works on either.
 */
export type RedisClient = Redis | Cluster;

/** A key's hash tag: everything between the braces decides its cluster slot. Names are URI-encoded so a
 *  brace inside a service or endpoint name cannot end the tag early. */
export function hashTag(name: string): string {
  return `{${encodeURIComponent(name)}}`;
}
