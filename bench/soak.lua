-- The mixed soak of `make bench` (wrk script): 80 % reads of the benchmarked endpoints, 20 %
-- writes (creates of organizations, PATCHes of organizations with If-Match, progress reports
-- on measures), all with the admin token. The ids come from the file named by BENCH_IDS (a Lua
-- table written by bench/run.sh). Each wrk thread PATCHes its own share of the organizations
-- and keeps their versions (the bench data starts them at 1; ETag = "<version>"), so a 412 in
-- the results means a lost or doubled write, and is counted as an error like any non-2xx.

local ids = dofile(os.getenv("BENCH_IDS"))
local token = os.getenv("BENCH_TOKEN")
local threads = {}
local next_thread = 0

function setup(thread)
  thread:set("thread_index", next_thread)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

local n = 0
local versions = {}
local mine = {}
local turn = 0

function init(args)
  for i, org in ipairs(ids.organizations) do
    if i % 2 == thread_index then
      table.insert(mine, org)
      versions[org] = 1
    end
  end
end

local auth = { ["Authorization"] = "Bearer " .. token }
local json = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }

local function read(k)
  if k == 0 then return wrk.format("GET", ids.list, auth) end
  if k == 1 then return wrk.format("GET", ids.item, auth) end
  if k == 2 then return wrk.format("GET", ids.measures, auth) end
  if k == 3 then return wrk.format("GET", ids.fulfilment, auth) end
  return wrk.format("GET", ids.item, auth)
end

function request()
  n = n + 1
  local r = n % 10
  if r < 8 then
    -- The pipeline report is the heaviest read: one read in forty.
    if n % 40 == 0 then return wrk.format("GET", ids.pipeline, auth) end
    return read(n % 5)
  end
  if r == 8 then
    if n % 20 == 8 then
      local body = string.format('{"name":"Soak %d-%d","kind":"ngo"}', thread_index, n)
      return wrk.format("POST", "/api/v1/organizations", json, body)
    end
    turn = turn % #mine + 1
    local org = mine[turn]
    local v = versions[org]
    versions[org] = v + 1
    local patch = {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/merge-patch+json",
      ["If-Match"] = '"' .. v .. '"',
    }
    return wrk.format("PATCH", "/api/v1/organizations/" .. org, patch, string.format('{"web":"https://soak.example.cz/%d"}', n))
  end
  local measure = ids.measures_to_report[(n % #ids.measures_to_report) + 1]
  local body = string.format('{"status":"in_progress","percent_done":%d}', n % 100)
  return wrk.format("POST", "/api/v1/measures/" .. measure .. "/progress-reports", json, body)
end
