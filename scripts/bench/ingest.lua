-- wrk script: each request is one generic alert with its own id, alternating down and up
-- for a set of vertices, so every request is a real state change to store.
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local node = "sw-" .. (counter % 200)
  local state = (math.floor(counter / 200) % 2 == 0) and "down" or "up"
  local body = string.format('{"node":"%s","state":"%s","source":"bench","id":"t%d-%d"}', node, state, tid, counter % 200)
  return wrk.format("POST", "/api/v1/alerts", {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status ~= 202 then
    io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
  end
end
