-- post_events.lua — wrk script: POST /v1/events, each request the next body of a file
-- of NDJSON batches (made by bench/serve/make_batches.py: batches separated by a line
-- holding only "--"). Each wrk thread starts at its own offset, so no body is sent
-- twice within one pass. Environment: TAMIS_KEY (a write key), BATCHES (the file).
local key = os.getenv("TAMIS_KEY")
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. key
wrk.headers["Content-Type"] = "application/x-ndjson"

local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("index", #threads)
  thread:set("nthreads", 0)
end

function init(args)
  bodies = {}
  local f = assert(io.open(os.getenv("BATCHES"), "r"))
  local cur = {}
  for line in f:lines() do
    if line == "--" then
      bodies[#bodies + 1] = table.concat(cur, "\n") .. "\n"
      cur = {}
    else
      cur[#cur + 1] = line
    end
  end
  f:close()
  -- thread i of n takes bodies i, i + n, ...; n is at most 8 here
  step = tonumber(os.getenv("WRK_THREADS") or "1")
  nextb = index
  sent, bad = 0, 0
end

function request()
  local b = bodies[nextb]
  nextb = nextb + step
  if nextb > #bodies then nextb = index end
  return wrk.format(nil, nil, nil, b)
end

function response(status, headers, body)
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
    wrk.thread:stop()
  end
end
