import { LuaScript } from './lua.js';

/**
 * Compare-and-set of one record with its index entries. Callers read the record and its refs, build the new
 * version, and the script applies it only if the record is still what they read (0 = retry), so two writers
 * of one id can never leave an index entry behind or add one twice. Every key is declared.
 *
 * KEYS: record, refs hash, old index keys..., new index keys..., name sets...
 * ARGV: expected record ("" = absent), new JSON, ttl s (0 = keep the record's), id, new refs, nOld, nNew, nNames,
 *       old members..., new members..., names...
 */
export const PUT = new LuaScript(`
local cur = redis.call('GET', KEYS[1])
if cur == false then cur = '' end
if cur ~= ARGV[1] then return 0 end
local nOld, nNew, nNames = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
for i = 1, nOld do redis.call('ZREM', KEYS[2 + i], ARGV[8 + i]) end
for i = 1, nNew do redis.call('ZADD', KEYS[2 + nOld + i], 0, ARGV[8 + nOld + i]) end
for i = 1, nNames do redis.call('SADD', KEYS[2 + nOld + nNew + i], ARGV[8 + nOld + nNew + i]) end
if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
else redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL') end
redis.call('HSET', KEYS[2], ARGV[4], ARGV[5])
if cur == '' then return 1 end
return 2
`);

/**
 * Removes one record and every index entry its refs name, if the refs are still what the caller read.
 * KEYS: record, refs hash, index keys...   ARGV: expected refs ("" = absent), id, members...
 */
export const REMOVE = new LuaScript(`
local refs = redis.call('HGET', KEYS[2], ARGV[2])
if refs == false then refs = '' end
if refs ~= ARGV[1] then return 0 end
for i = 3, #KEYS do redis.call('ZREM', KEYS[i], ARGV[i]) end
redis.call('DEL', KEYS[1])
redis.call('HDEL', KEYS[2], ARGV[2])
return 1
`);

/** Forgets a name whose index emptied, unless a put refilled it meanwhile. KEYS: name set, index. ARGV: name. */
export const FORGET_NAME = new LuaScript(`
if redis.call('ZCARD', KEYS[2]) == 0 then return redis.call('SREM', KEYS[1], ARGV[1]) end
return 0
`);

/** Raises a hash field to a number if it is larger (a max kept atomically). KEYS: hash. ARGV: field, value. */
export const RAISE_MAX = new LuaScript(`
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '')
if cur == nil or tonumber(ARGV[2]) > cur then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return 1 end
return 0
`);
