"""What the tests of the check's Authorization header share
(test_check_bearer.py, test_check_bearer_attacks.py,
test_check_bearer_throttle.py): access tokens minted here, personal access
tokens made with gatehousectl, the requests, and the checks of the answers.

Access tokens are signed with the site's own signing key, the private PEM
that deploy/stack.py's `gatehousectl keys generate` wrote into the state's
keys/ ([sso] keys_dir; ES256), with exactly the claims of common/jwt_access.h
(iss, aud, sub, uid, email, roles, jti, iat, exp): the token endpoint that
issues them is not what these tests are about.  PyJWT and cryptography come
from sso_support.py (Debian's python3-jwt, python3-cryptography).

The kind "bearer_throttle" (main's settings, 3 refusals a minute per client,
and 127.0.0.1 a trusted proxy, so that each test blocks a client address of
its own, sent in X-Forwarded-For, without blocking the others).
"""

import base64
import json
import secrets
import sqlite3
import time
from pathlib import Path

import fixtures
from harness import check
from sso_support import jwt, serialization

ACCESS_LIFETIME = 900  # [token] access_lifetime's default, seconds
SKEW = 60              # jwt_access.h's JWT_ACCESS_SKEW
REALM = 'realm="gatehouse"'
THROTTLE_MAX = 3

fixtures.SETTINGS["bearer_throttle"] = fixtures.stack.merge_settings(fixtures.FAST_HASHING, {
    "throttle": {"max_failures": THROTTLE_MAX, "window": "1m", "trusted_proxies": "127.0.0.1"},
})


# -- Access tokens --------------------------------------------------------------


def signing_key(site):
    """(private key PEM text, kid) of the site's active signing key: the
    newest key file of keys/ (a kid names its creation time)."""
    newest = sorted(Path(site.stack.keys_dir).glob("*.pem"))[-1]
    return newest.read_text(), newest.stem


def issuer(site):
    """[sso] issuer, which is also the access tokens' audience here."""
    return str(site.stack.settings["sso"]["issuer"])


def access_claims(site, user, uid=4242, roles=(), email=None, **changes):
    """The claims of an access token for user as jwt_access_sign writes
    them, issued now for ACCESS_LIFETIME; changes replace or add claims
    (None removes one)."""
    now = int(time.time())
    out = {"iss": issuer(site), "aud": issuer(site), "sub": user, "uid": uid,
           "roles": list(roles), "jti": secrets.token_urlsafe(32), "iat": now,
           "exp": now + ACCESS_LIFETIME}
    if email is not None:
        out["email"] = email
    for name, value in changes.items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def mint(site, user, key=None, kid=None, alg="ES256", headers=None, claims=None, **changes):
    """An access token for user signed with the site's key (or key, a PEM or
    secret, and kid), of access_claims(site, user, **changes) or claims."""
    pem, own_kid = signing_key(site)
    body = claims if claims is not None else access_claims(site, user, **changes)
    hdrs = {"kid": kid or own_kid, **(headers or {})}
    return jwt.encode(body, key if key is not None else pem, algorithm=alg, headers=hdrs)


def public_pem(site):
    """The PEM text of the site's signing key's public half (what an
    algorithm-confusion attack signs HS256 with)."""
    pem, _ = signing_key(site)
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# -- Personal access tokens -------------------------------------------------------


def add_token(site, user, *args):
    """`gatehousectl token add user --name ... ARGS`: the token."""
    name = f"t{secrets.token_hex(4)}"
    proc = site.stack.ctl("token", "add", user, "--name", name, *args)
    token = proc.stdout.strip()
    check(token.startswith("ghpat_"), f"token add {user}: no token printed: {proc.stdout!r}")
    return token


def user_id(site, name):
    """The id `gatehousectl user show` gives for name."""
    out = site.stack.ctl("user", "show", name).stdout
    return int(next(line.split()[1] for line in out.splitlines() if line.startswith("id:")))


def run_sql(site, sql):
    """sql (its values written in, of the tests' own making) on the site's
    database as its owner: SQLite directly, a server database as its
    administrator.  The rows, as lists of text."""
    if site.stack.database is None:
        conn = sqlite3.connect(site.stack.db_path, timeout=10)
        try:
            rows = conn.execute(sql).fetchall()
            conn.commit()
        finally:
            conn.close()
        return [[None if v is None else str(v) for v in row] for row in rows]
    out = site.stack.database.sql(sql + ";")
    return [line.split("\t") for line in out.splitlines() if line]


# -- Requests and answers --------------------------------------------------------


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def basic(user, password):
    raw = f"{user}:{password}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def whoami(site, headers, **kw):
    """(the answer of GET /cgi-bin/whoami.cgi with headers, {variable:
    value} the backend saw, or None when not granted)."""
    r = site.get("/cgi-bin/whoami.cgi", headers=headers, **kw)
    if r.status != 200:
        return r, None
    return r, dict(line.split("=", 1) for line in r.text.splitlines() if "=" in line)


def assert_identity(site, env, r, name, roles, uid=None, email=None, what=""):
    """The backend's variables env name user name with exactly roles (and
    uid, email when given), as each web server passes them (lighttpd sets
    no REMOTE_USER: see test_check.py)."""
    check(env is not None, f"{what}: expected the backend's page (200)", r)
    var = "REMOTE_USER" if site.server in ("apache", "nginx") else "GATEHOUSE_USER"
    check(env.get(var) == name and env.get("GATEHOUSE_USER") == name,
          f"{what}: the backend should see {var}={name} and GATEHOUSE_USER={name}", r)
    seen = {x for x in env.get("GATEHOUSE_ROLES", "").split(",") if x}
    check(seen == set(roles), f"{what}: the backend should see the roles {sorted(roles)}, "
          f"saw {sorted(seen)}", r)
    if uid is not None:
        check(env.get("GATEHOUSE_USER_ID") == str(uid),
              f"{what}: the backend should see GATEHOUSE_USER_ID={uid}", r)
    if email is not None:
        check(env.get("GATEHOUSE_EMAIL") == email,
              f"{what}: the backend should see GATEHOUSE_EMAIL={email}", r)


def json_error(r):
    try:
        return json.loads(r.body).get("error")
    except (ValueError, AttributeError):
        return None


def assert_refused(site, r, what, error="invalid_token", scheme="Bearer", status=401):
    """r is the check's refusal of a credential: status (401; 403 for
    insufficient_scope), never a redirect, the JSON error (Apache sends the
    body under its own Content-Type), the challenge of scheme with the
    error (a Basic challenge names none)."""
    check(r.status == status, f"{what}: expected {status}", r)
    check(r.location is None, f"{what}: a refusal must not redirect", r)
    check(json_error(r) == error, f'{what}: expected the body {{"error":"{error}"}}', r)
    if site.server != "apache":
        check((r.header("Content-Type") or "").startswith("application/json"),
              f"{what}: expected Content-Type: application/json", r)
    challenges = [v for k, v in r.headers if k.lower() == "www-authenticate"]
    want = (f'Basic {REALM}' if scheme == "Basic" else f'Bearer {REALM}, error="{error}"')
    check(challenges == [want], f"{what}: expected exactly WWW-Authenticate: {want}", r)
    check(r.header("X-Gatehouse-Error") is None,
          f"{what}: X-Gatehouse-Error is for the web server, not the client", r)


def assert_granted(site, token_headers, what, path="/private/"):
    r = site.get(path, headers=token_headers)
    check(r.status == 200, f"{what}: GET {path} expected 200", r)
    return r
