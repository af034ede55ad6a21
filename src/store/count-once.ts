/**
 * Counting each trace once per minute. The same trace reaches scoring more than once: polled again in a
 * differently composed batch, rescored after a restart, or a score job retried after it wrote. Naming a
 * write after its batch recognises only the last case, so every per-minute write claims its traces' ids in
 * a per-minute Redis set, in the same Lua script that adds the counts: if any id is there already, nothing
 * is written and the ids are returned; the caller rebuilds the write without them and tries again.
 */

/** Ids per SMISMEMBER / SADD call: Lua's unpack has a stack limit. */
const CHUNK = 1000;

/**
 * Lua that claims the ids at ARGV[first + 1 .. first + n] (n = ARGV[first]) in the set KEYS[setKey] and keeps
 * the set `ttlArg` seconds: returns the ids already claimed, writing nothing, when there are any. Leaves
 * `local at` at the first argument after the ids.
 */
export function claimLua(setKey: number, ttlArg: number, first: number): string {
  return `
local n = tonumber(ARGV[${first}])
local dup = {}
for i = ${first + 1}, ${first} + n, ${CHUNK} do
  local last = math.min(i + ${CHUNK - 1}, ${first} + n)
  local r = redis.call('SMISMEMBER', KEYS[${setKey}], unpack(ARGV, i, last))
  for j = 1, #r do if r[j] == 1 then dup[#dup + 1] = ARGV[i + j - 1] end end
end
if #dup > 0 then return dup end
for i = ${first + 1}, ${first} + n, ${CHUNK} do
  redis.call('SADD', KEYS[${setKey}], unpack(ARGV, i, math.min(i + ${CHUNK - 1}, ${first} + n)))
end
redis.call('EXPIRE', KEYS[${setKey}], ARGV[${ttlArg}])
local at = ${first} + n + 1
`;
}

/**
 * Runs `write` for each minute's items until it has written the ones no earlier write claimed. `write`
 * returns the ids found claimed already (then it wrote nothing); each round drops at least one item, so
 * the loop ends. Items with the same id within one call count once (the first is kept). Returns the ids
 * this call wrote: the items counted for the first time.
 */
export async function writeOnce<T>(
  items: readonly T[],
  idOf: (item: T) => string,
  minuteOf: (item: T) => number,
  write: (minute: number, items: readonly T[]) => Promise<readonly string[]>,
): Promise<Set<string>> {
  const byMinute = new Map<number, T[]>();
  const ids = new Set<string>();
  for (const it of items) {
    const id = idOf(it);
    if (ids.has(id)) continue;
    ids.add(id);
    const m = minuteOf(it);
    let g = byMinute.get(m);
    if (!g) byMinute.set(m, (g = []));
    g.push(it);
  }
  const written = new Set<string>();
  await Promise.all(
    [...byMinute].map(async ([minute, group]) => {
      let pending: readonly T[] = group;
      while (pending.length > 0) {
        const dup = new Set(await write(minute, pending));
        if (dup.size === 0) break;
        pending = pending.filter((it) => !dup.has(idOf(it)));
      }
      for (const it of pending) written.add(idOf(it));
    }),
  );
  return written;
}
