"""The Lua scripts of the update gate (:mod:`remnastore.bot.update_gate`): the one request that counts an
update against the rate limit, takes its chat's lock and reads its state and cached entries, and the
release of locks that found no request to travel with."""

from __future__ import annotations

from remnastore.infra.ratelimit import HIT_FUNCTION

RATE_ARGS = 7  # the arguments of rate_limit_hit after its two keys

# KEYS: lock, state, data, rate state, rate hits, then n_pre keys to read, then n_rel locks to release.
# ARGV: token, lock_ms, rate ("1": count this update), n_pre, n_rel, n_der, the 7 rate arguments, the
# tokens of the locks to release, then n_der derived keys (infra/cache.py Derived), each as: the index of
# its source among the keys to read, the number of fields, the fields, prefix, suffix, fallback ('' for
# none). Returns {code, ban_until_ms} when the rate limit refuses, {0, 0, 0} when the chat is locked
# elsewhere, {0, 0, 1, state, data, pre..., (derived key, its value)...} when the lock was taken.
# A derived key is not among KEYS (it is known only here): the gate needs one Redis server, not a cluster.
ENTER = (
    HIT_FUNCTION
    + """
local n_pre = tonumber(ARGV[4])
local n_rel = tonumber(ARGV[5])
local n_der = tonumber(ARGV[6])
for i = 1, n_rel do
  local key = KEYS[5 + n_pre + i]
  if redis.call('GET', key) == ARGV[13 + i] then
    redis.call('DEL', key)
  end
end
if ARGV[3] == '1' then
  local verdict = rate_limit_hit(KEYS[4], KEYS[5], tonumber(ARGV[7]), tonumber(ARGV[8]),
    tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11]), ARGV[12], tonumber(ARGV[13]))
  if verdict[1] ~= 0 then
    return verdict
  end
end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {0, 0, 0}
end
local reply = {0, 0, 1, redis.call('GET', KEYS[2]), redis.call('GET', KEYS[3])}
for i = 1, n_pre do
  reply[5 + i] = redis.call('GET', KEYS[5 + i])
end
local decoded = {}
local at = 14 + n_rel
local out = 5 + n_pre
for d = 1, n_der do
  local source = tonumber(ARGV[at])
  local n_fields = tonumber(ARGV[at + 1])
  local prefix, suffix, fallback = ARGV[at + 2 + n_fields], ARGV[at + 3 + n_fields], ARGV[at + 4 + n_fields]
  local name = false
  if decoded[source] == nil then
    local raw = reply[5 + source]
    local ok, value = false, nil
    if raw then
      ok, value = pcall(cjson.decode, raw)
    end
    decoded[source] = (ok and type(value) == 'table') and value or false
  end
  local entry = decoded[source]
  if entry then
    for f = 1, n_fields do
      local value = entry
      for part in string.gmatch(ARGV[at + 1 + f], '[^.]+') do
        if type(value) ~= 'table' then
          value = nil
          break
        end
        value = value[part]
      end
      if type(value) == 'number' then
        name = prefix .. string.format('%.0f', value) .. suffix
        break
      elseif type(value) == 'string' then
        name = prefix .. value .. suffix
        break
      end
    end
    if not name and fallback ~= '' then
      name = fallback
    end
  end
  reply[out + 1] = name
  reply[out + 2] = name and redis.call('GET', name) or false
  out = out + 2
  at = at + 5 + n_fields
end
return reply
"""
)
# KEYS: locks, ARGV: their tokens. Deletes each lock still held with its token.
RELEASE = """
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[i] then
    redis.call('DEL', KEYS[i])
  end
end
return 0
"""
