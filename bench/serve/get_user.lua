-- get_user.lua — wrk script: GET /v1/users/{key} for random keys u0000001..uN
-- (the generator's key scheme). Environment: TAMIS_KEY (a read key), USERS (N).
local key = os.getenv("TAMIS_KEY")
local users = tonumber(os.getenv("USERS") or "1000000")
wrk.headers["Authorization"] = "Bearer " .. key

function setup(thread)
  thread:set("seed", math.random(1, 1e9))
end

function init(args)
  math.randomseed(seed or os.time())
end

function request()
  return wrk.format("GET", string.format("/v1/users/u%07d", math.random(1, users)))
end

function response(status, headers, body)
  if status ~= 200 then
    wrk.thread:stop()
    io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
  end
end
