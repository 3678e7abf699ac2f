--[[
  Appends webhook bodies to the stream, in order, in one call: the receiver gathers every body it
  read in one turn of its event loop, so a burst of one-status POSTs costs one round trip.
  KEYS[1]  the webhook stream
  ARGV     per body: the number of field/value strings that follow, then those strings
           (as events-stream.ts encodes an entry)
  Returns the entry ids, one per body, in order.
]]
local ids = {}
local i = 1
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  ids[#ids + 1] = redis.call('XADD', KEYS[1], '*', unpack(ARGV, i + 1, i + n))
  i = i + n + 1
end
return ids
