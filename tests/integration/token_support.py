"""What the tests of the token API share (test_token_api.py,
test_token_reuse.py): the requests to gatehouse-sso's /auth/token and
/auth/token/revoke as an API client sends them (no cookie, no CSRF token,
a body form-urlencoded as RFC 6749 has it, or a flat JSON object), the
checks of their JSON answers, the verification of an access token with
PyJWT against /auth/jwks.json, and the check seen through a bearer token
(whoami.cgi: the user the backend is given, or the check's 401).

The users are made here with names of their own (a random tag), so that a
test finds its sessions and audit rows whatever ran before it; each
request that a test looks up in the audit trail is sent with a User-Agent
of its own (sso_support.agent).  A client address of its own
(next_address) keeps a test's refusals out of another's throttle count.
"""

import itertools
import json
import re
import secrets

from client import Client, urlencode
from harness import check
from sso_support import JWKS, agent, jwt, sessions_of

TOKEN = "/auth/token"
REVOKE = "/auth/token/revoke"
WHOAMI = "/cgi-bin/whoami.cgi"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
ACCESS_LIFETIME = 900  # [token] access_lifetime's default, seconds
REFRESH_TOKEN = re.compile(r"^ghrt_[A-Za-z0-9_-]{43}$")
JTI = re.compile(r"^[A-Za-z0-9_-]{43}$")
# The one answer to a password that does not open the account, whatever
# the reason (wrong password, unknown user, disabled or locked account).
REFUSED_LOGIN = {"error": "invalid_grant", "error_description": "Invalid username or password."}
CROSS_SITE = "https://api-client.example"  # an Origin that is not the site's

# Client addresses for tests that count refusals per address (the
# throttle): 127.0.77.N, a fresh one at each call, none the other tests
# use (test_brute_force.py takes 127.0.0.N).
_addresses = itertools.count(1)


def next_address():
    n = next(_addresses)
    return f"127.0.{77 + n // 250}.{n % 250 + 1}"


# -- Users ----------------------------------------------------------------------


def add_user(site, prefix, email=False, roles=(), password=None, disabled=False):
    """A user with a fresh name (prefix and a random tag), an e-mail
    address of its own when email, the roles (which must exist) and
    password (random by default); returns (name, password, e-mail or None)."""
    name = f"{prefix}{secrets.token_hex(4)}"
    password = password if password is not None else secrets.token_urlsafe(18)
    address = f"{name}@mail.gatehouse.test" if email else None
    args = ["user", "add", name, "--password-stdin"]
    if address:
        args += ["--email", address]
    for role in roles:
        args += ["--role", role]
    site.stack.ctl(*args, input=password + "\n")
    if disabled:
        site.stack.ctl("user", "disable", name)
    return name, password, address


def user_id(site, name):
    """The id of user name (`gatehousectl user show`)."""
    out = site.stack.ctl("user", "show", name).stdout
    fields = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    return int(fields["id"])


def audit_of_user(site, name, event):
    """The audit rows of event for user name, oldest first, as
    `gatehousectl audit list --format json --user NAME --event EVENT`
    gives them (on every database)."""
    out = site.stack.ctl("audit", "list", "--format", "json", "--user", name,
                         "--event", event).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


# -- Requests -------------------------------------------------------------------


def post(site, path, fields=None, body=None, content_type=FORM, ua=None, source=None,
         headers=None):
    """POSTs fields (a dict or list of pairs: urlencoded, or a JSON object
    when content_type is JSON) or body (bytes or str, sent as it is) to
    path, as an API client: no cookie, no Origin unless headers add one.
    source: the client address to send from (next_address)."""
    if body is None:
        body = json.dumps(fields) if content_type == JSON else urlencode(fields)
    if isinstance(body, str):
        body = body.encode()
    hdrs = {"Content-Type": content_type} if content_type else {}
    hdrs.update(headers or {})
    client = Client(site.stack.port, user_agent=ua or agent(), source=source)
    return client.request("POST", path, body=body, headers=hdrs)


def password_fields(name, password):
    return {"grant_type": "password", "username": name, "password": password}


def refresh_fields(refresh_token):
    return {"grant_type": "refresh_token", "refresh_token": refresh_token}


def post_password(site, name, password, **kw):
    """POST /auth/token with grant_type=password; the answer."""
    return post(site, TOKEN, password_fields(name, password), **kw)


def post_refresh(site, refresh_token, **kw):
    """POST /auth/token with grant_type=refresh_token; the answer."""
    return post(site, TOKEN, refresh_fields(refresh_token), **kw)


def post_revoke(site, token, hint=None, **kw):
    """POST /auth/token/revoke with token (and token_type_hint); the answer."""
    fields = {"token": token}
    if hint is not None:
        fields["token_type_hint"] = hint
    return post(site, REVOKE, fields, **kw)


# -- Answers --------------------------------------------------------------------


def json_answer(r, what):
    """The JSON object of an answer of /auth/token or /auth/token/revoke,
    after checking what every one of their answers carries: Content-Type
    application/json and Cache-Control no-store."""
    check((r.header("Content-Type") or "").split(";")[0].strip().lower() == JSON,
          f"{what}: expected Content-Type application/json", r)
    directives = [d.strip().lower() for d in (r.header("Cache-Control") or "").split(",")]
    check("no-store" in directives, f"{what}: expected Cache-Control: no-store", r)
    try:
        body = json.loads(r.body)
    except ValueError:
        body = None
    check(isinstance(body, dict), f"{what}: expected a JSON object", r)
    return body


def assert_error(r, status, error, what):
    """r must be status with the JSON body naming error (RFC 6749 5.2);
    returns the body."""
    check(r.status == status, f"{what}: expected {status}", r)
    body = json_answer(r, what)
    check(body.get("error") == error, f"{what}: expected error {error!r}", r)
    return body


def assert_refused_login(r, what):
    """r must be the one refusal of a password grant: 400 and exactly
    REFUSED_LOGIN."""
    body = assert_error(r, 400, "invalid_grant", what)
    check(body == REFUSED_LOGIN, f"{what}: expected exactly {json.dumps(REFUSED_LOGIN)}", r)


class Pair:
    """The tokens of a 200 answer of /auth/token."""

    def __init__(self, body, response):
        self.body = body
        self.response = response
        self.access = body["access_token"]
        self.refresh = body["refresh_token"]


def assert_pair(r, what, lifetime=ACCESS_LIFETIME):
    """r must be a grant's 200: access_token (a compact JWT), token_type
    Bearer, expires_in lifetime, refresh_token ghrt_ and 43 base64url
    characters; no cookie.  Returns the Pair."""
    check(r.status == 200, f"{what}: expected 200", r)
    body = json_answer(r, what)
    access = body.get("access_token")
    check(isinstance(access, str) and access.count(".") == 2 and
          all(access.split(".")), f"{what}: access_token should be a compact JWT", r)
    check(body.get("token_type") == "Bearer", f"{what}: token_type should be Bearer", r)
    check(body.get("expires_in") == lifetime and type(body.get("expires_in")) is int,
          f"{what}: expires_in should be the number {lifetime}", r)
    check(isinstance(body.get("refresh_token"), str) and REFRESH_TOKEN.match(body["refresh_token"]),
          f"{what}: refresh_token should be ghrt_ and 43 base64url characters", r)
    check(not r.cookies, f"{what}: the token API sets no cookie (gatehouse-sso(8))", r)
    return Pair(body, r)


def grant_password(site, name, password, what=None, lifetime=ACCESS_LIFETIME, **kw):
    """A password grant that must succeed (its expires_in lifetime): its
    Pair."""
    return assert_pair(post_password(site, name, password, **kw),
                       what or f"the password grant of {name}", lifetime)


def grant_refresh(site, refresh_token, what="the refresh grant", **kw):
    """A refresh grant that must succeed: its Pair."""
    return assert_pair(post_refresh(site, refresh_token, **kw), what)


def assert_revoke_ok(r, what):
    """r must be the revocation endpoint's only success: 200 and {}."""
    check(r.status == 200, f"{what}: expected 200", r)
    check(json_answer(r, what) == {}, f"{what}: expected the body {{}}", r)


# -- Access tokens --------------------------------------------------------------


def published(site):
    """The document of /auth/jwks.json."""
    r = site.get(JWKS)
    check(r.status == 200, f"GET {JWKS}: expected 200", r)
    return json.loads(r.body)


def access_claims(site, token, audience=None, what="the access token"):
    """(header, claims) of token, verified by PyJWT with the key of
    /auth/jwks.json its kid names, its alg, aud (audience, default [sso]
    issuer) and iss ([sso] issuer) checked."""
    header = jwt.get_unverified_header(token)
    keys = {k.key_id: k for k in jwt.PyJWKSet.from_dict(published(site)).keys}
    check(header.get("kid") in keys, f"{what}: its kid {header.get('kid')!r} is not published "
          f"at {JWKS}: {sorted(keys)}")
    check(header.get("alg") in ("ES256", "RS256"), f"{what}: header {header}")
    issuer = site.stack.settings["sso"]["issuer"]
    try:
        body = jwt.decode(token, keys[header["kid"]].key, algorithms=[header["alg"]],
                          audience=audience or issuer, issuer=issuer,
                          options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]})
    except jwt.PyJWTError as e:
        check(False, f"{what}: PyJWT refuses it: {type(e).__name__}: {e}")
    return header, body


def unverified_claims(token):
    return jwt.decode(token, options={"verify_signature": False})


# -- The check, through a bearer token ------------------------------------------


def bearer_get(site, token, path=WHOAMI, accept=None):
    """GET path with Authorization: Bearer token and no cookie."""
    headers = {"Authorization": f"Bearer {token}"}
    if accept:
        headers["Accept"] = accept
    return site.get(path, headers=headers)


def assert_bearer_granted(site, token, name, what):
    """The check lets token through as user name: whoami.cgi's variables."""
    r = bearer_get(site, token)
    check(r.status == 200, f"{what}: GET {WHOAMI} with the bearer token: expected 200", r)
    env = dict(line.split("=", 1) for line in r.text.splitlines() if "=" in line)
    check(env.get("GATEHOUSE_USER") == name,
          f"{what}: the backend should see GATEHOUSE_USER={name}", r)
    if site.server in ("apache", "nginx"):
        check(env.get("REMOTE_USER") == name, f"{what}: the backend should see REMOTE_USER={name}",
              r)
    return env


def bearer_refusal(site, r):
    """Whether r is the check's refusal of a bearer token: 401, no
    redirect, WWW-Authenticate: Bearer with error="invalid_token", and
    (where the web server passes the check's body: lighttpd, nginx) JSON."""
    if r.status != 401 or r.location is not None:
        return False
    auth = r.header("WWW-Authenticate") or ""
    if not auth.startswith("Bearer") or 'error="invalid_token"' not in auth:
        return False
    if site.server in ("lighttpd", "nginx"):
        try:
            return isinstance(json.loads(r.body), dict)
        except ValueError:
            return False
    return True


def assert_bearer_refused(site, token, what, since=None):
    """The check refuses token: at once, or within the site's revocation
    bound (fixtures.Site.wait_refused) of since where the check's session
    cache may still hold what the token stands on.  Asked as a browser
    would (Accept: text/html): a bearer token is never redirected."""
    site.wait_refused(lambda: bearer_get(site, token, accept="text/html"),
                      lambda r: bearer_refusal(site, r), what,
                      f"GET {WHOAMI} with the bearer token: expected 401 with "
                      'WWW-Authenticate: Bearer error="invalid_token" (JSON), no redirect',
                      since)


def token_sessions(site, name):
    """The ids of user name's live sessions of auth_method token."""
    return [sid for sid, method in sessions_of(site, name) if method == "token"]
