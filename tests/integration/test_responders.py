"""The responders as processes: SIGTERM ends them promptly and cleanly."""

import signal
import subprocess
import time

from harness import check, test

# behaviour.md: "SIGTERM or SIGINT: the responder exits within a second with
# status 0."  The margin is for the scheduler of a busy machine.
LIMIT = 1.0
MARGIN = 0.25


@test("responder_exits_on_sigterm_within_1s", kind="own")
def responder_exits_on_sigterm_within_1s(site):
    # Every responder has just served a request (the site's start probes).
    r = site.get("/auth/logout")
    check(r.status == 200, "GET /auth/logout: expected 200", r)
    for name, proc in site.stack.responders.items():
        check(proc.poll() is None, f"gatehouse-{name} is not running before the test")
        start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            status = proc.wait(LIMIT + 2)
        except subprocess.TimeoutExpired:
            check(False, f"gatehouse-{name} still runs {LIMIT + 2:.0f} s after SIGTERM")
        took = time.monotonic() - start
        check(took <= LIMIT + MARGIN, f"gatehouse-{name} took {took:.2f} s to exit after SIGTERM")
        check(status == 0, f"gatehouse-{name} exited with status {status} after SIGTERM")
