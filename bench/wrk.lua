-- wrk script of bench/run: one request shape per run, from the environment,
-- and a machine-readable summary at the end.
--
--   BENCH_COOKIE  Cookie header to send (a session, or the pre-login CSRF
--                 cookie for the login POST); empty: none
--   BENCH_BODY    when set, the request is a POST of this
--                 application/x-www-form-urlencoded body (the login form:
--                 the same CSRF token and cookie serve every POST, since
--                 the token is bound to the cookie, not to one use)
--   BENCH_FORWARDED_FOR
--                 X-Forwarded-For header to send (the throttled case's
--                 client behind the trusted proxy 127.0.0.1); empty: none
--
-- done() prints one line "BENCH {json}" with the counts and the latency
-- percentiles in microseconds; bench/run reads it.

local cookie = os.getenv("BENCH_COOKIE")
if cookie ~= nil and cookie ~= "" then
	wrk.headers["Cookie"] = cookie
end

local forwarded = os.getenv("BENCH_FORWARDED_FOR")
if forwarded ~= nil and forwarded ~= "" then
	wrk.headers["X-Forwarded-For"] = forwarded
end

local body = os.getenv("BENCH_BODY")
if body ~= nil and body ~= "" then
	wrk.method = "POST"
	wrk.body = body
	wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		'BENCH {"requests":%d,"duration_us":%d,"bytes":%d,' ..
		'"connect_errors":%d,"read_errors":%d,"write_errors":%d,' ..
		'"status_errors":%d,"timeouts":%d,' ..
		'"mean_us":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
		summary.requests, summary.duration, summary.bytes,
		e.connect, e.read, e.write, e.status, e.timeout,
		latency.mean, latency:percentile(50), latency:percentile(90),
		latency:percentile(99), latency.max))
end
