-- wrk script of bench/run: one request shape per run, from the environment,
-- and a machine-readable summary at the end.
--
--   BENCH_COOKIE  Cookie header to send (a session, or the pre-login CSRF
--                 cookie for the login POST); empty: none
--   BENCH_AUTHORIZATION
--                 Authorization header to send ("Bearer eyJ..." or
--                 "Bearer ghpat_..."); empty: none
--   BENCH_BODY    when set, the request is a POST of this
--                 application/x-www-form-urlencoded body (the login form:
--                 the same CSRF token and cookie serve every POST, since
--                 the token is bound to the cookie, not to one use)
--   BENCH_FORWARDED_FOR
--                 X-Forwarded-For header to send (the throttled case's
--                 client behind the trusted proxy 127.0.0.1); empty: none
--   BENCH_REFRESH_FILE, BENCH_REFRESH_PER_THREAD
--                 refresh grants, chained (see below); BENCH_BODY is then
--                 not read
--
-- Refresh grants: a refresh token works once, so no body can be replayed.
-- BENCH_REFRESH_FILE holds one refresh token a line, each the start of its
-- own family (a password grant each, made by bench/run), and each wrk
-- thread takes BENCH_REFRESH_PER_THREAD of them: one per connection of
-- the thread (wrk gives each thread connections / threads) and one spare,
-- since wrk calls request() once in its first thread before the run, to
-- see whether the script pipelines, and never sends that request (without
-- the spare, one connection would have no token from the start).  A
-- thread keeps its unspent tokens in a pool: request() takes one out and
-- POSTs grant_type=refresh_token with it; response() puts back the new
-- refresh_token of a 200 answer.  wrk reads a connection's response
-- before it asks for that connection's next request, so the pool never
-- runs dry while every answer carries a token, and no token is sent
-- twice (one sent twice would revoke its family).  An answer without one
-- ("broken": a 400 invalid_grant means the chain broke) loses a token for
-- good; a request that then finds the pool empty ("starved") is sent
-- without a refresh token, which the token endpoint answers 400
-- invalid_request without counting it against the client (its answer is
-- counted as broken too).
--
-- done() prints one line "BENCH {json}" with the counts and the latency
-- percentiles in microseconds (and, for refresh grants, the chained,
-- broken and starved counts of every thread); bench/run reads it.

local cookie = os.getenv("BENCH_COOKIE")
if cookie ~= nil and cookie ~= "" then
	wrk.headers["Cookie"] = cookie
end

local authorization = os.getenv("BENCH_AUTHORIZATION")
if authorization ~= nil and authorization ~= "" then
	wrk.headers["Authorization"] = authorization
end

local forwarded = os.getenv("BENCH_FORWARDED_FOR")
if forwarded ~= nil and forwarded ~= "" then
	wrk.headers["X-Forwarded-For"] = forwarded
end

local refresh_file = os.getenv("BENCH_REFRESH_FILE")
if refresh_file == "" then
	refresh_file = nil
end

local body = os.getenv("BENCH_BODY")
if refresh_file ~= nil or (body ~= nil and body ~= "") then
	wrk.method = "POST"
	wrk.body = body
	wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

-- setup() and done() run in wrk's main Lua state, the other callbacks in
-- each thread's own.
local threads = {}

function setup(thread)
	table.insert(threads, thread)
	if refresh_file == nil then
		return
	end
	if refresh_tokens == nil then
		refresh_tokens = {}
		for line in io.lines(refresh_file) do
			if line ~= "" then
				table.insert(refresh_tokens, line)
			end
		end
	end
	local per = tonumber(os.getenv("BENCH_REFRESH_PER_THREAD"))
	local first = (#threads - 1) * per
	local mine = {}
	for i = first + 1, first + per do
		assert(refresh_tokens[i] ~= nil, "BENCH_REFRESH_FILE: too few refresh tokens")
		table.insert(mine, refresh_tokens[i])
	end
	thread:set("pool_initial", table.concat(mine, " "))
end

if refresh_file ~= nil then
	function init(args)
		pool = {}
		for t in string.gmatch(pool_initial, "%S+") do
			table.insert(pool, t)
		end
		chained, broken, starved = 0, 0, 0
	end

	function request()
		local token = table.remove(pool)
		if token == nil then
			starved = starved + 1
			return wrk.format(nil, nil, nil, "grant_type=refresh_token&refresh_token=")
		end
		return wrk.format(nil, nil, nil,
			"grant_type=refresh_token&refresh_token=" .. token)
	end

	function response(status, headers, body)
		local token = nil
		if status == 200 then
			token = string.match(body, '"refresh_token"%s*:%s*"(ghrt_[%w_%-]+)"')
		end
		if token ~= nil then
			table.insert(pool, token)
			chained = chained + 1
		else
			broken = broken + 1
		end
	end
end

function done(summary, latency, requests)
	local e = summary.errors
	local extra = ""
	if refresh_file ~= nil then
		local c, b, s = 0, 0, 0
		for _, thread in ipairs(threads) do
			c = c + thread:get("chained")
			b = b + thread:get("broken")
			s = s + thread:get("starved")
		end
		extra = string.format(',"chained":%d,"broken":%d,"starved":%d', c, b, s)
	end
	io.write(string.format(
		'BENCH {"requests":%d,"duration_us":%d,"bytes":%d,' ..
		'"connect_errors":%d,"read_errors":%d,"write_errors":%d,' ..
		'"status_errors":%d,"timeouts":%d,' ..
		'"mean_us":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d%s}\n',
		summary.requests, summary.duration, summary.bytes,
		e.connect, e.read, e.write, e.status, e.timeout,
		latency.mean, latency:percentile(50), latency:percentile(90),
		latency:percentile(99), latency.max, extra))
end
