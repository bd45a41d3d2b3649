"""A small HTTP client for the integration tests.

Redirects are never followed (the tests look at each Location), cookies are
kept in a jar of our own that the tests can read, change and replay by hand,
and every answer is read completely.  Built on http.client.
"""

import http.client
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from html import unescape


@dataclass
class SetCookie:
    """One Set-Cookie header: name, value and its attributes (names in
    lower case; a flag such as HttpOnly maps to "")."""
    name: str
    value: str
    attrs: dict = field(default_factory=dict)
    raw: str = ""

    @property
    def deletes(self):
        """Whether this header removes the cookie (Max-Age=0 or in the past)."""
        if self.attrs.get("max-age", "1").strip() in ("0", "-1"):
            return True
        return "expires" in self.attrs and "1970" in self.attrs["expires"]


def parse_set_cookie(raw):
    parts = [p.strip() for p in raw.split(";")]
    name, _, value = parts[0].partition("=")
    attrs = {}
    for p in parts[1:]:
        if p:
            k, _, v = p.partition("=")
            attrs[k.strip().lower()] = v.strip()
    return SetCookie(name.strip(), value.strip(), attrs, raw)


@dataclass
class Response:
    status: int
    headers: list  # [(name, value)] in the order received
    body: bytes
    elapsed: float  # seconds from sending to the last byte

    def header(self, name):
        """The first header called name (any case), or None."""
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    @property
    def text(self):
        return self.body.decode("utf-8", errors="replace")

    @property
    def location(self):
        return self.header("Location")

    @property
    def cookies(self):
        """The Set-Cookie headers, parsed."""
        return [parse_set_cookie(v) for k, v in self.headers if k.lower() == "set-cookie"]

    def cookie(self, name):
        """The Set-Cookie for name, or None."""
        for c in self.cookies:
            if c.name == name:
                return c
        return None

    def __str__(self):
        head = "".join(f"\n  {k}: {v}" for k, v in self.headers)
        return f"HTTP {self.status}{head}\n\n{self.text[:2000]}"


class CookieJar:
    """Cookies by name (one site, one path: all the tests need)."""

    def __init__(self, **cookies):
        self.cookies = dict(cookies)

    def update(self, response):
        for c in response.cookies:
            if c.deletes:
                self.cookies.pop(c.name, None)
            else:
                self.cookies[c.name] = c.value

    def header(self):
        if not self.cookies:
            return None
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def get(self, name):
        return self.cookies.get(name)

    def copy(self):
        return CookieJar(**self.cookies)


def form_field(html, name):
    """The value of the <input name="NAME" value="..."> in html, or None."""
    for tag in re.findall(r"<input\b[^>]*>", html, flags=re.I):
        if re.search(r'\bname="%s"' % re.escape(name), tag):
            m = re.search(r'\bvalue="([^"]*)"', tag)
            return unescape(m.group(1)) if m else ""
    return None


def urlencode(fields):
    """fields as a dict or a list of pairs; bytes are sent as they are."""
    if isinstance(fields, (bytes, str)):
        return fields.encode() if isinstance(fields, str) else fields
    return urllib.parse.urlencode(fields).encode()


class Client:
    """Requests against one site (host 127.0.0.1, one port), with an
    optional cookie jar that is sent and then updated from the answer.  The
    one HTTP client of the integration suite, the soak and the benchmark.

    keep_alive keeps one connection for every request (the soak's load),
    reopened when the server closed it; a request is then retried once, and
    counted in retries, only when a reused connection failed before any
    answer (the server closed it while it sat idle).  Without it, each
    request has a connection of its own."""

    def __init__(self, port, https=False, ssl_context=None, timeout=10, keep_alive=False,
                 user_agent="gatehouse-integration-tests", source=None):
        """source: the loopback address to connect from ("127.0.0.2"), so
        that the server sees another client address; None: the system's."""
        self.port = port
        self.source = (source, 0) if source else None
        self.https = https
        self.ssl_context = ssl_context
        self.timeout = timeout
        self.keep_alive = keep_alive
        self.user_agent = user_agent
        self.conn = None  # the kept connection (keep_alive)
        self.used = False  # it carried a request already
        self.retries = 0

    @property
    def origin(self):
        return f"{'https' if self.https else 'http'}://127.0.0.1:{self.port}"

    def close(self):
        """Closes the kept connection (harmless without one)."""
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def _connect(self):
        if self.https:
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=self.timeout,
                                               context=self.ssl_context,
                                               source_address=self.source)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout,
                                          source_address=self.source)

    @staticmethod
    def _exchange(conn, method, path, body, hdrs):
        """One request on conn; the answer and whether the server closes."""
        start = time.monotonic()
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        data = r.read()
        return Response(r.status, r.getheaders(), data, time.monotonic() - start), r.will_close

    def _kept(self, method, path, body, hdrs):
        """One request on the kept connection, reopened when the server
        closed it while idle (then retried once)."""
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = self._connect()
                self.used = False
            reused = self.used
            self.used = True
            try:
                resp, closes = self._exchange(self.conn, method, path, body, hdrs)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 2 or not reused:
                    raise
                self.retries += 1
                continue
            except BaseException:
                self.close()
                raise
            if closes:
                self.close()
            return resp

    def request(self, method, path, body=None, headers=None, jar=None):
        """Sends one request; path goes on the request line as given.  A
        client without keep_alive may be shared by threads; one with it
        belongs to one thread."""
        hdrs = {"User-Agent": self.user_agent}
        if jar is not None and jar.header():
            hdrs["Cookie"] = jar.header()
        hdrs.update(headers or {})
        if self.keep_alive:
            resp = self._kept(method, path, body, hdrs)
        else:
            conn = self._connect()
            try:
                resp, _ = self._exchange(conn, method, path, body, hdrs)
            finally:
                conn.close()
        if jar is not None:
            jar.update(resp)
        return resp

    def get(self, path, jar=None, headers=None):
        return self.request("GET", path, headers=headers, jar=jar)

    def post_form(self, path, fields, jar=None, headers=None):
        """POSTs fields urlencoded, with the Origin a browser would send."""
        hdrs = {"Content-Type": "application/x-www-form-urlencoded", "Origin": self.origin}
        hdrs.update(headers or {})
        return self.request("POST", path, body=urlencode(fields), headers=hdrs, jar=jar)
