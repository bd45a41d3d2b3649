"""What the single sign-on tests share (test_sso.py, test_sso_attacks.py,
test_sso_interop.py): the partners' keys, made here with python3-cryptography;
the site kind "sso" with its [partner NAME] sections; partner tokens minted
by PyJWT (python3-jwt), by hand (the attacks: what no library would sign)
and by the npm package jose (tests/interop/jwt.mjs); the requests to
gatehouse-sso and the checks of its answers and of the audit trail.

The partners of the "sso" site (one site per web server, on SQLite: the
first pass of run.py only, as a kind of harness.site_kind):

    hs     HS256, secret_file; user_claim sub; roles from "groups"
           (editors:editor staff:staff); redirect /private/ (a prefix),
           /public/index.html (exact), https://app.partner.test/ (a prefix)
    rs     RS256, public_key_file; user_claim email; auto_provision
    es     ES256, jwks_file (kids es-1 and es-2); user_claim
           preferred_username; sso_url (outbound, aud "es" by default)
    boss   HS256, secret given inline; allow_admin, roles "chief:admin"
    app    outbound only: sso_url https://app.partner.test/sso/in,
           out_audience https://app.partner.test
    qs     outbound only, its sso_url with a query (?v=2)

"sso_multi" (fixtures.SETTINGS, for harness.multi_server_test: the two
sites of a pair share the database and so must share the partner) has one
HS256 partner, "multi", its secret inline, with auto-provisioning and a
role mapping.

Every request is sent with a User-Agent of its own, by which its audit rows
are found (`gatehousectl audit list --format json`).
"""

import base64
import hashlib
import hmac
import json
import secrets
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

try:
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
except ImportError:
    # Debian's python3-jwt and python3-cryptography live in its
    # dist-packages, which another python3 first on PATH (pyenv's) does
    # not search; pure Python and a module built for the same 3.x, they
    # load there too.
    sys.path.append("/usr/lib/python3/dist-packages")
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

import fixtures
from client import Client, CookieJar
from fixtures import COOKIE, FAST_HASHING, LOGIN
from harness import check, site_kind, skip

SSO = "/auth/sso"
SSO_OUT = "/auth/sso/out"
JWKS = "/auth/jwks.json"
FAILED = "Single sign-on failed."
AUDIENCE = "https://gatehouse.test/auth"   # what every partner's tokens must name in aud
DEFAULT_REDIRECT = "/private/"
APP_URL = "https://app.partner.test/sso/in"  # the outbound partner's sso_url
APP_AUDIENCE = "https://app.partner.test"
QS_URL = "https://qs.partner.test/in?v=2"  # an sso_url with a query of its own
OUT_LIFETIME = 60   # [sso] out_lifetime's default, seconds
MAX_LIFETIME = 300  # [partner] max_lifetime's default
SKEW = 60           # [partner] skew's default
ISSUERS = {
    "hs": "https://hs.partner.test",
    "rs": "https://rs.partner.test",
    "es": "https://es.partner.test",
    "boss": "https://boss.partner.test",
    "multi": "https://multi.partner.test",
}
ALGS = {"hs": "HS256", "rs": "RS256", "es": "ES256", "boss": "HS256", "multi": "HS256"}
JOSE = Path(__file__).resolve().parents[1] / "interop" / "jwt.mjs"
DROP = object()  # a claim value: leave the claim out


def _pem_private(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _pem_public(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _jwk(key, kid, alg):
    """The public JWK of private key key, with kid, alg and use."""
    algorithm = jwt.algorithms.ECAlgorithm if alg.startswith("ES") else jwt.algorithms.RSAAlgorithm
    jwk = json.loads(algorithm.to_jwk(key.public_key()))
    jwk.update(kid=kid, alg=alg, use="sig")
    return jwk


class PartnerKeys:
    """The partners' keys, written into folder: secrets and public keys as
    gatehouse.conf names them, the private halves kept here to sign with,
    and keys no partner has (rogue_*) to sign what must not verify."""

    def __init__(self, folder):
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.secrets = {"hs": secrets.token_urlsafe(36), "boss": secrets.token_urlsafe(36)}
        self.rs = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.es = {"es-1": ec.generate_private_key(ec.SECP256R1()),
                   "es-2": ec.generate_private_key(ec.SECP256R1())}
        self.rogue_rs = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.rogue_es = ec.generate_private_key(ec.SECP256R1())
        self.hs_secret_file = folder / "hs.secret"
        self.hs_secret_file.write_text(self.secrets["hs"] + "\n")
        self.rs_public_file = folder / "rs.pub.pem"
        self.rs_public_pem = _pem_public(self.rs)
        self.rs_public_file.write_text(self.rs_public_pem)
        self.es_jwks_file = folder / "es.jwks.json"
        self.es_jwks_file.write_text(json.dumps(
            {"keys": [_jwk(k, kid, "ES256") for kid, k in self.es.items()]}))

    def signing_key(self, partner, kid=None):
        """(what PyJWT signs with, the kid the header names) for partner."""
        if partner in self.secrets:
            return self.secrets[partner], None
        if partner == "rs":
            return self.rs, None
        kid = kid or "es-1"
        return self.es[kid], kid

    def private_pem(self, partner, kid=None):
        """partner's signing key as jose takes it: PKCS#8 PEM, or the secret."""
        key, kid = self.signing_key(partner, kid)
        return (key if isinstance(key, str) else _pem_private(key)), kid

    def settings(self):
        """The [partner NAME] sections of the sso site."""
        return {
            "partner hs": {
                "issuer": ISSUERS["hs"], "audience": AUDIENCE, "algorithm": "HS256",
                "secret_file": self.hs_secret_file, "user_claim": "sub",
                "redirect": "/private/ /public/index.html https://app.partner.test/",
                "default_redirect": DEFAULT_REDIRECT,
                "role_claim": "groups", "role_map": "editors:editor staff:staff",
            },
            "partner rs": {
                "issuer": ISSUERS["rs"], "audience": AUDIENCE, "algorithm": "RS256",
                "public_key_file": self.rs_public_file, "user_claim": "email",
                "redirect": "/private/", "default_redirect": DEFAULT_REDIRECT,
                "auto_provision": True,
            },
            "partner es": {
                "issuer": ISSUERS["es"], "audience": AUDIENCE, "algorithm": "ES256",
                "jwks_file": self.es_jwks_file, "user_claim": "preferred_username",
                "redirect": "/private/", "default_redirect": DEFAULT_REDIRECT,
                "sso_url": "https://es.partner.test/sso",
            },
            "partner boss": {
                "issuer": ISSUERS["boss"], "audience": AUDIENCE, "algorithm": "HS256",
                "secret": self.secrets["boss"], "user_claim": "sub",
                "redirect": "/admin/", "default_redirect": "/admin/",
                "role_claim": "roles", "role_map": "chief:admin", "allow_admin": True,
            },
            "partner app": {"sso_url": APP_URL, "out_audience": APP_AUDIENCE},
            "partner qs": {"sso_url": QS_URL},
        }


@site_kind("sso")
def sso_site(folder, server):
    """The sso site: main's settings and the partners of PartnerKeys, made
    in folder/partners."""
    keys = PartnerKeys(Path(folder) / "partners")
    site = fixtures.Site(folder, server, "sso",
                         settings=fixtures.stack.merge_settings(FAST_HASHING, keys.settings()))
    site.partner_keys = keys
    return site


# The sso_multi kind: both sites of a pair take the same partner, so its
# key is given inline (the two sites have folders of their own).
MULTI_SECRET = secrets.token_urlsafe(36)
fixtures.SETTINGS["sso_multi"] = fixtures.stack.merge_settings(FAST_HASHING, {
    "partner multi": {
        "issuer": ISSUERS["multi"], "audience": AUDIENCE, "algorithm": "HS256",
        "secret": MULTI_SECRET, "user_claim": "email", "auto_provision": True,
        "redirect": "/private/", "default_redirect": DEFAULT_REDIRECT,
        "role_claim": "groups", "role_map": "editors:editor",
    },
    "partner app": {"sso_url": APP_URL, "out_audience": APP_AUDIENCE},
})


# -- Tokens -------------------------------------------------------------------


def claims(partner, user, **changes):
    """Claims partner would send for user (in its user claim): iss, aud, the
    user claim, iat now, exp in two minutes, a fresh jti; changes replace
    or add claims, DROP removes one."""
    now = int(time.time())
    user_claim = {"rs": "email", "es": "preferred_username", "multi": "email"}.get(partner, "sub")
    out = {"iss": ISSUERS[partner], "aud": AUDIENCE, "sub": user, user_claim: user,
           "iat": now, "exp": now + 120, "jti": uuid.uuid4().hex}
    for name, value in changes.items():
        if value is DROP:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def mint(site, partner, user=None, claims_=None, kid=None, headers=None, **changes):
    """A token of partner signed as it signs (PyJWT, its algorithm and key),
    for claims_ or claims(partner, user, **changes)."""
    body = claims_ if claims_ is not None else claims(partner, user, **changes)
    if partner == "multi":
        key, header_kid = MULTI_SECRET, None
    else:
        key, header_kid = site.partner_keys.signing_key(partner, kid)
    hdrs = dict(headers or {})
    if header_kid is not None:
        hdrs.setdefault("kid", header_kid)
    return jwt.encode(body, key, algorithm=ALGS[partner], headers=hdrs or None)


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(obj):
    return b64url(json.dumps(obj, separators=(",", ":")))


def raw_token(header, body, sign=None, signature=None):
    """A compact token made by hand: header and body as JSON, then the
    signature sign(signing input bytes) returns, or signature as given
    (bytes, base64url-encoded here; a str goes in as it is)."""
    signing_input = f"{b64url_json(header)}.{b64url_json(body)}"
    if sign is not None:
        signature = sign(signing_input.encode())
    if isinstance(signature, bytes):
        signature = b64url(signature)
    return f"{signing_input}.{signature or ''}"


def signer(alg, key):
    """A signer for raw_token: alg (RS*, ES*, PS*) with private key key,
    as PyJWT signs (an ES signature as R || S)."""
    algorithm = jwt.algorithms.get_default_algorithms()[alg]
    prepared = algorithm.prepare_key(key)
    return lambda data: algorithm.sign(data, prepared)


def hmac_signer(secret, alg="HS256"):
    """A signer for raw_token: the HMAC of alg (HS256, HS384, HS512) keyed
    with secret (str or bytes)."""
    key = secret.encode() if isinstance(secret, str) else secret
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    return lambda data: hmac.new(key, data, digest).digest()


def jose_available():
    """Skips the test when node or tests/interop's jose is missing (npm
    could not install it: scripts/deps.sh only warns)."""
    if shutil.which("node") is None:
        skip("node is not installed (scripts/deps.sh test)")
    if not (JOSE.parent / "node_modules" / "jose").is_dir():
        skip("tests/interop/node_modules/jose is missing (scripts/deps.sh test: npm ci)")


def jose(command, request):
    """Runs tests/interop/jwt.mjs COMMAND with request (JSON) on its input;
    its output (a token, or the JSON of a verified one)."""
    proc = subprocess.run(["node", str(JOSE), command], input=json.dumps(request),
                          capture_output=True, text=True, timeout=30, cwd=JOSE.parent)
    check(proc.returncode == 0, f"jose {command}: exit {proc.returncode}: {proc.stderr}")
    return proc.stdout.strip()


def jose_mint(site, partner, user, kid=None, **changes):
    """A token of partner as jose signs it."""
    key, kid = site.partner_keys.private_pem(partner, kid)
    request = {"alg": ALGS[partner], "key": key, "claims": claims(partner, user, **changes)}
    if kid:
        request["kid"] = kid
    return jose("sign", request)


# -- Requests -----------------------------------------------------------------


def agent():
    """A User-Agent of its own, to find the audit rows of one request."""
    return f"sso-test/{uuid.uuid4().hex}"


def sso_get(site, token, next=None, jar=None, ua=None):
    """GET /auth/sso?token=...[&next=...]; returns (answer, its User-Agent)."""
    ua = ua or agent()
    query = {"token": token}
    if next is not None:
        query["next"] = next
    r = Client(site.stack.port, user_agent=ua).get(
        f"{SSO}?{urlencode(query)}", jar=jar if jar is not None else CookieJar())
    return r, ua


def sso_post(site, token, next=None, jar=None, ua=None, origin="https://hs.partner.test"):
    """POST /auth/sso (token, next) as a partner's page sends it: from
    another origin, without a CSRF token; returns (answer, User-Agent)."""
    ua = ua or agent()
    fields = {"token": token}
    if next is not None:
        fields["next"] = next
    headers = {"Origin": origin, "Sec-Fetch-Site": "cross-site"} if origin else {}
    r = Client(site.stack.port, user_agent=ua).post_form(
        SSO, fields, jar=jar if jar is not None else CookieJar(), headers=headers)
    return r, ua


def _sqlite_rows(site, sql, args):
    """Rows of sql on the site's SQLite database, read directly (a fraction
    of a millisecond, where gatehousectl takes tens: the attacks check
    hundreds of refusals), or None on a server database."""
    if site.stack.database is not None:
        return None
    with sqlite3.connect(f"file:{site.stack.db_path}?mode=ro", uri=True) as conn:
        return conn.execute(sql, args).fetchall()


def audit_of(site, ua):
    """Every audit row written for the request sent with ua, oldest first,
    as `gatehousectl audit list --format json` gives them (event, result,
    reason, user_id, user, user_agent, context): read from security_log on
    SQLite, with gatehousectl on a server database."""
    found = _sqlite_rows(
        site, "SELECT l.event_type, l.result, l.reason, l.user_id, u.username, l.user_agent, "
        "l.context FROM security_log l LEFT JOIN users u ON u.id = l.user_id "
        "WHERE l.user_agent = ? ORDER BY l.id", (ua,))
    if found is not None:
        keys = ("event", "result", "reason", "user_id", "user", "user_agent", "context")
        rows = [dict(zip(keys, row)) for row in found]
        for row in rows:
            row["context"] = json.loads(row["context"]) if row["context"] else None
        return rows
    out = site.stack.ctl("audit", "list", "--format", "json").stdout
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    return [row for row in rows if row.get("user_agent") == ua]


def audit_rows(site, event, ua):
    """The audit rows of event written for the request sent with ua."""
    return [row for row in audit_of(site, ua) if row.get("event") == event]


def one_audit_row(site, event, ua, what, rows=None):
    """The one row of event for ua (among rows, when given)."""
    rows = [row for row in (rows if rows is not None else audit_of(site, ua))
            if row.get("event") == event]
    check(len(rows) == 1, f"{what}: expected one {event} audit row for its request, "
          f"got {len(rows)}: {rows}")
    return rows[0]


def sessions_of(site, name):
    """The live sessions of user name, as `gatehousectl session list NAME`
    lists them (not revoked, not past expires_at): [(id, auth_method)]."""
    found = _sqlite_rows(
        site, "SELECT s.id, s.auth_method FROM sessions s JOIN users u ON u.id = s.user_id "
        "WHERE s.revoked_at IS NULL AND s.expires_at > ? AND u.username = ? "
        "ORDER BY s.created_at", (int(time.time()), name))
    if found is not None:
        return [tuple(row) for row in found]
    lines = site.stack.ctl("session", "list", name).stdout.splitlines()
    return [(line.split()[0], line.split()[5]) for line in lines]


def whoami(site, jar):
    """{variable: value} the CGI backend gets for jar's session, or None
    when the check does not let the request through."""
    r = site.get("/cgi-bin/whoami.cgi", jar=CookieJar(**jar.cookies))
    if r.status != 200:
        return None
    return dict(line.split("=", 1) for line in r.text.splitlines() if "=" in line)


def roles_seen(site, jar):
    """The roles the backend sees for jar's session (GATEHOUSE_ROLES)."""
    env = whoami(site, jar)
    check(env is not None, "whoami.cgi: the check refused the session")
    return {r for r in env.get("GATEHOUSE_ROLES", "").split(",") if r}


def refusal_page(site):
    """The body of a refusal whose cause is plain (a token of no partner):
    every refusal must send exactly this page."""
    page = getattr(site, "sso_refusal_page", None)
    if page is None:
        r, _ = sso_get(site, "x")
        check(r.status == 403 and FAILED in r.text,
              "GET /auth/sso?token=x: expected 403 and the refusal page", r)
        page = site.sso_refusal_page = r.body
    return page


def assert_refused(site, r, ua, reason, what, user=None, jar=None):
    """r (a request sent with ua) must be the refusal: 403, the one generic
    page, no cookie; one sso_refused audit row with reason; the check
    refuses jar (the client's cookies, default none) and user, when given,
    has no session at all."""
    check(r.status == 403, f"{what}: expected 403", r)
    check(FAILED in r.text, f"{what}: expected the page saying {FAILED!r}", r)
    check(r.body == refusal_page(site),
          f"{what}: the refusal page differs from the generic one (it must not tell why)", r)
    check(not r.cookies, f"{what}: the refusal set a cookie", r)
    rows = audit_of(site, ua)
    row = one_audit_row(site, "sso_refused", ua, what, rows)
    check(row["reason"] == reason and row["result"] == "failure",
          f"{what}: audit reason {row['reason']!r}, expected {reason!r}: {row}")
    check(len(rows) == 1, f"{what}: the refused request wrote other audit rows: {rows}")
    r = site.get("/private/", jar=CookieJar(**(jar.cookies if jar else {})))
    check(r.status == 302 and (r.location or "").startswith(LOGIN),
          f"{what}: after the refusal the check must still send the client to the login "
          "page (GET /private/)", r)
    if user is not None:
        check(sessions_of(site, user) == [],
              f"{what}: the refused token made a session for {user}: {sessions_of(site, user)}")
    return row


def assert_signed_in(site, r, jar, user, location, what, partner=None, ua=None):
    """r must be the sign-in: 303 to location, the session cookie set as the
    login sets it; the check lets jar's session through as user, whose
    session is an "sso" one; with ua, the login_success audit row (returned
    as well: (session id, row))."""
    check(r.status == 303, f"{what}: expected 303", r)
    check(r.location == location, f"{what}: expected Location {location!r}", r)
    cookie = r.cookie(COOKIE)
    check(cookie is not None and jar.get(COOKIE), f"{what}: no session cookie set", r)
    check("httponly" in cookie.attrs and cookie.attrs.get("samesite", "").lower() == "lax"
          and cookie.attrs.get("path") == "/",
          f"{what}: the session cookie should be HttpOnly, SameSite=Lax, Path=/", r)
    env = whoami(site, jar)
    check(env is not None and env.get("GATEHOUSE_USER") == user,
          f"{what}: the check should let the session through as {user}: {env}")
    sid = hashlib.sha256(jar.get(COOKIE).encode()).hexdigest()
    check((sid, "sso") in sessions_of(site, user),
          f"{what}: the session should be live with auth_method sso: {sessions_of(site, user)}")
    if ua is not None:
        row = one_audit_row(site, "login_success", ua, what)
        ctx = row["context"] or {}
        check(row["user"] == user and ctx.get("auth_method") == "sso" and
              ctx.get("session") == sid and (partner is None or ctx.get("partner") == partner),
              f"{what}: login_success should name the user {user}, auth_method sso, the "
              f"partner {partner} and the session: {row}")
        return sid, row
    return sid, None


def sign_in(site, partner, user, jar=None, next=None, **changes):
    """Signs user in through partner's token (GET); returns the jar."""
    jar = jar if jar is not None else CookieJar()
    r, ua = sso_get(site, mint(site, partner, user, **changes), next=next, jar=jar)
    check(r.status == 303 and jar.get(COOKIE),
          f"sign-in of {user} through {partner}: expected 303 and a session cookie", r)
    return jar
