"""The responders close every FastCGI connection after its request, even
when the web server asks to keep it (FCGI_KEEP_CONN, nginx's
fastcgi_keep_conn with an upstream keepalive): libfcgi would otherwise keep
the worker that answered waiting on that connection for the next request,
under the lock the workers take turns to accept under, and one idle kept
connection would stall every other worker (a lone request then waited for
the web server to drop its idle connections, 60 s under nginx).

Spoken here as a web server would, in FastCGI records on the login
responder's Unix socket: more kept connections than the responder has
worker threads, left idle, and then a new connection must still be
answered at once.  The web server plays no part, so this runs once, under
lighttpd on SQLite."""

import socket
import struct
import time

from harness import check, test

FCGI_VERSION = 1
FCGI_BEGIN_REQUEST, FCGI_END_REQUEST, FCGI_PARAMS, FCGI_STDIN, FCGI_STDOUT = 1, 3, 4, 5, 6
FCGI_RESPONDER = 1
FCGI_KEEP_CONN = 1
THREADS = 4  # [general] threads' default, which the test site keeps
ANSWER_WITHIN = 5.0  # seconds; a stalled worker pool answers in 60 s or never


def record(kind, content, request_id=1):
    """One FastCGI record (no padding)."""
    return struct.pack(">BBHHBx", FCGI_VERSION, kind, request_id, len(content), 0) + content


def name_value(name, value):
    """A FastCGI name-value pair with one-byte lengths (both under 128)."""
    name, value = name.encode(), value.encode()
    return bytes([len(name), len(value)]) + name + value


def login_page_request():
    """BEGIN_REQUEST with FCGI_KEEP_CONN, the parameters of GET /auth/login,
    an empty STDIN: what a web server keeping its connections sends."""
    params = {
        "REQUEST_METHOD": "GET", "REQUEST_URI": "/auth/login", "SCRIPT_NAME": "/auth/login",
        "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1",
    }
    body = b"".join(name_value(k, v) for k, v in params.items())
    return (record(FCGI_BEGIN_REQUEST, struct.pack(">HB5x", FCGI_RESPONDER, FCGI_KEEP_CONN))
            + record(FCGI_PARAMS, body) + record(FCGI_PARAMS, b"")
            + record(FCGI_STDIN, b""))


def read_answer(conn):
    """Reads records up to END_REQUEST; returns the STDOUT bytes (raises
    socket.timeout when none comes in time, OSError when cut)."""
    out, data = b"", b""
    while True:
        while len(data) >= 8:
            _, kind, _, length, padding = struct.unpack(">BBHHBx", data[:8])
            if len(data) < 8 + length + padding:
                break
            content, data = data[8:8 + length], data[8 + length + padding:]
            if kind == FCGI_STDOUT:
                out += content
            elif kind == FCGI_END_REQUEST:
                return out
        chunk = conn.recv(65536)
        if not chunk:
            raise OSError("connection closed before END_REQUEST")
        data += chunk


def closed_by_peer(conn, within):
    """Whether the other end closes conn (EOF) within seconds."""
    conn.settimeout(within)
    try:
        return conn.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


@test("responders_never_keep_a_fastcgi_connection", servers=("lighttpd",), databases=("sqlite",))
def responders_never_keep_a_fastcgi_connection(site):
    path = site.stack.responder_sockets["login"]
    kept = []
    try:
        for i in range(THREADS + 1):
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            conn.settimeout(ANSWER_WITHIN)
            conn.connect(str(path))
            kept.append(conn)
            conn.sendall(login_page_request())
            try:
                out = read_answer(conn)
            except OSError as e:
                check(False, f"kept connection {i + 1}: no answer within {ANSWER_WITHIN} s "
                      f"({e}): a worker is waiting on an idle kept connection")
                return
            check(b"<form" in out,
                  f"kept connection {i + 1}: expected the login page, got {out[:200]!r}")
        for i, conn in enumerate(kept):
            check(closed_by_peer(conn, 2.0),
                  f"connection {i + 1} asked to be kept (FCGI_KEEP_CONN) and is still open "
                  "after its answer: the responder keeps it")
        # With every earlier connection left open by this side, a new one
        # is still answered at once.
        start = time.monotonic()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(ANSWER_WITHIN)
            conn.connect(str(path))
            conn.sendall(login_page_request())
            try:
                read_answer(conn)
            except OSError as e:
                check(False, f"a new connection after {len(kept)} kept ones: no answer "
                      f"within {ANSWER_WITHIN} s ({e})")
                return
        check(time.monotonic() - start < ANSWER_WITHIN, "the new connection's answer was slow")
    finally:
        for conn in kept:
            conn.close()
