"""Differential test of the check against the web server in front of it: the
check must decide on exactly the path the server serves, or refuse.

Every target of raw_corpus.py (a few thousand tricks) is sent over a raw
socket, as it is, once without a cookie and once with the session of a
user who lacks the admin role.  Pages are told apart by their content, not
by the status: the test fails when an answer carries a page the demo's rules
deny to that caller (the admin page to either, the private page or the CGI
to the anonymous one), or when hostile input gets a 5xx (nginx turns any
check answer but 2xx/401/403 into a 500).  A control run first shows that
each page's marker is seen where it should be, so the test can fail.
"""

import socket
from concurrent.futures import ThreadPoolExecutor

import raw_corpus
from fixtures import COOKIE
from harness import check, test

# What identifies each page of deploy/demo-site in a body (the CGI's
# output and its source both name GATEHOUSE_USER).
MARKERS = {
    "admin": b"<title>Admin page</title>",
    "private": b"<title>Private page</title>",
    "whoami": b"GATEHOUSE_USER=",
    "public": b"<title>Public page</title>",
}
# The pages each caller must never get.
DENIED = {
    "anonymous": ("admin", "private", "whoami"),
    "no-role user": ("admin",),
}
WORKERS = 4
SHOWN = 15  # failures quoted in full


def raw_get(port, target, cookie=None, timeout=10):
    """Sends GET target (bytes, as they are) and returns (status, body)."""
    head = b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1:" + str(port).encode() + \
        b"\r\nConnection: close\r\nUser-Agent: gatehouse-raw-targets\r\n"
    if cookie:
        head += b"Cookie: " + cookie.encode() + b"\r\n"
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head + b"\r\n")
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    line = data.split(b"\r\n", 1)[0].split(b" ")
    status = int(line[1]) if len(line) > 1 and line[1].isdigit() else 0
    return status, data.partition(b"\r\n\r\n")[2]


def pages_in(body):
    return [name for name, marker in MARKERS.items() if marker in body]


@test("raw_targets_never_serve_a_denied_page")
def raw_targets_never_serve_a_denied_page(site):
    port = site.stack.port
    name, password = site.new_user("rawplain")
    plain = f"{COOKIE}={site.login(name, password).get(COOKIE)}"
    name, password = site.new_user("rawadmin", roles=["admin"])
    admin = f"{COOKIE}={site.login(name, password).get(COOKIE)}"

    # Control: each marker is seen where the rules let it through.
    for target, cookie, page in ((b"/admin/", admin, "admin"), (b"/private/", plain, "private"),
                                 (b"/cgi-bin/whoami.cgi", plain, "whoami"),
                                 (b"/public/", None, "public")):
        status, body = raw_get(port, target, cookie)
        check(page in pages_in(body),
              f"control: GET {target!r} ({'with' if cookie else 'without'} a session) should "
              f"show the {page} page (status {status}): the markers are wrong")

    callers = {"anonymous": None, "no-role user": plain}
    jobs = [(caller, target) for caller in callers for target in raw_corpus.corpus()]

    def probe(job):
        caller, target = job
        try:
            status, body = raw_get(port, target, callers[caller])
        except OSError as e:
            return caller, target, 0, [], f"no answer: {e}"
        return caller, target, status, pages_in(body), None

    failures = []
    with ThreadPoolExecutor(WORKERS) as pool:
        for caller, target, status, pages, error in pool.map(probe, jobs):
            leaked = [p for p in pages if p in DENIED[caller]]
            if leaked:
                failures.append(f"{caller}: GET {target[:120]!r} -> {status} with the "
                                f"{'/'.join(leaked)} page")
            elif status >= 500:
                failures.append(f"{caller}: GET {target[:120]!r} -> {status}")
            elif error:
                failures.append(f"{caller}: GET {target[:120]!r}: {error}")
    check(not failures, f"{len(failures)} of {len(jobs)} raw requests got a page the rules deny "
          f"or a 5xx:\n" + "\n".join(failures[:SHOWN]))

    # The check and the server still serve normally afterwards.
    status, body = raw_get(port, b"/private/", plain)
    check("private" in pages_in(body), f"after the corpus: GET /private/ gave {status}")
