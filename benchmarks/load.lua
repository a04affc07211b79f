-- wrk script for benchmarks/load.py: replays a prepared mix of API calls and reports JSON.
--
--   wrk -s benchmarks/load.lua URL -- MIX_FILE PACE_MS
--
-- MIX_FILE holds one call per line: METHOD <tab> PATH <tab> AUTHORIZATION <tab> BODY (BODY
-- may be empty). Each connection's thread starts at its own place in the list and cycles.
-- PACE_MS > 0 makes every connection wait about that long (±20%) before each call: a user
-- sending one request a second; 0 sends without pause (saturation).

local calls = {}
local position = 1
local pace_ms = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

-- A call as a function giving its request. A write of the travel limit gets a new value each
-- time (800-1500 km: no demo seat is that far), so that every write changes the record: a
-- value written again would change nothing, and cost the server less than a change does.
local function formatter(method, target, headers, body)
  if body ~= nil and body:find('"max_travel_km"') then
    return function()
      local fresh = body:gsub('("max_travel_km": *)%d+', '%1' .. math.random(800, 1500))
      return wrk.format(method, target, headers, fresh)
    end
  end
  local ready = wrk.format(method, target, headers, body)
  return function() return ready end
end

local function read_mix(path)
  local list = {}
  for line in io.lines(path) do
    local method, target, authorization, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t?(.*)$")
    local headers = {["Authorization"] = authorization}
    if body ~= nil and body ~= "" then
      headers["Content-Type"] = "application/json"
    else
      body = nil
    end
    table.insert(list, formatter(method, target, headers, body))
  end
  return list
end

function init(args)
  calls = read_mix(args[1])
  pace_ms = tonumber(args[2] or "0")
  math.randomseed(id * 7919)
  position = ((id - 1) * 997) % #calls + 1
  counts = {}
end

function delay()
  if pace_ms <= 0 then
    return 0
  end
  return math.random(math.floor(pace_ms * 0.8), math.floor(pace_ms * 1.2))
end

function request()
  local call = calls[position]
  position = position % #calls + 1
  return call()
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    local thread_counts = thread:get("counts")
    for status, n in pairs(thread_counts) do
      totals[tostring(status)] = (totals[tostring(status)] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(totals) do
    table.insert(parts, string.format('"%s": %d', status, n))
  end
  io.write(string.format(
    'WRK-RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "status_errors": %d, "timeouts": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    table.concat(parts, ", ")))
end
