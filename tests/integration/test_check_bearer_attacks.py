"""Access tokens the check must refuse, one rule each (common/jwt_access.h,
design §9's libjwt pitfalls): out of time, another audience (an outbound
single sign-on token among them, signed by the same key), another issuer,
alg none, HS256 keyed with the public key's PEM, another key, a kid not
published, a jti on the blacklist, a payload changed after signing, claims
of the wrong form; and Authorization headers that are not what they seem
(the scheme's case, spaces, non-ASCII, huge), which must never grant and
never be a server error.  Each refusal is the 401 of bearer_support.
assert_refused, never a redirect to the login page; each rule is a test of
its own, which first sees a valid token granted.  Under the three web
servers, on SQLite; and, under lighttpd, the keys folder the check reads
at start (a broken key stops it, an empty folder does not)."""

import base64
import json
import os
import secrets
import subprocess
import time
from pathlib import Path

from bearer_support import (ACCESS_LIFETIME, SKEW, access_claims, add_token, assert_refused,
                            b64url, basic, bearer, issuer, mint, public_pem, run_sql,
                            signing_key)
import fixtures
from client import Client, CookieJar
from harness import check, test
from sso_support import APP_AUDIENCE, APP_URL, SSO_OUT, ec, hmac_signer, jwt, raw_token, rsa

SQLITE = ("sqlite",)


USER = "mallory"  # the sub of the tokens below: the check reads no user for an access token


def refused(site, token, what, error="invalid_token"):
    """token as Bearer on /private/ must be refused."""
    assert_refused(site, site.get("/private/", headers=bearer(token)), what, error=error)


def with_claims(site, **changes):
    """access_claims for USER with changes (None: the claim left out)."""
    body = access_claims(site, USER)
    for claim, value in changes.items():
        if value is None:
            del body[claim]
        else:
            body[claim] = value
    return body


def expired(site, now, kid):
    return [(mint(site, USER, iat=now - ACCESS_LIFETIME - 2 * SKEW, exp=now - SKEW - 5),
             "a token expired beyond the skew")]


def exp_too_far_ahead(site, now, kid):
    return [(mint(site, USER, exp=now + ACCESS_LIFETIME + SKEW + 120),
             "a token whose exp is further ahead than the access lifetime"),
            (mint(site, USER, iat=now - 600, exp=now + ACCESS_LIFETIME + SKEW + 60),
             "a token whose lifetime is longer than the access lifetime")]


def not_yet_valid(site, now, kid):
    return [(mint(site, USER, iat=now + SKEW + 120, exp=now + SKEW + 300),
             "a token issued in the future")]


def exp_missing_or_not_an_integer(site, now, kid):
    return [(mint(site, USER, claims=with_claims(site, exp=None)), "a token without exp"),
            (mint(site, USER, claims=with_claims(site, exp=str(now + 60))),
             "a token whose exp is a string"),
            (mint(site, USER, claims=with_claims(site, exp=now + 60.5)),
             "a token whose exp is a fraction")]


def wrong_audience(site, now, kid):
    return [(mint(site, USER, aud=APP_AUDIENCE),
             "a token for a partner's audience (as /auth/sso/out signs them)"),
            (mint(site, USER, claims=with_claims(site, aud=None)), "a token without aud"),
            (mint(site, USER, aud=issuer(site) + "/"), "a token with aud nearly ours"),
            (mint(site, USER, aud=[APP_AUDIENCE]), "a token with aud a partner's, in an array")]


def wrong_issuer(site, now, kid):
    return [(mint(site, USER, iss="https://other.test/auth"), "a token of another issuer"),
            (mint(site, USER, claims=with_claims(site, iss=None)), "a token without iss"),
            (mint(site, USER, iss=issuer(site).upper()), "a token with iss in capitals")]


def alg_none(site, now, kid):
    body = access_claims(site, USER, roles=("admin",))
    header = {"alg": "none", "typ": "JWT", "kid": kid}
    return [(raw_token(header, body, signature=""), "alg none, no signature"),
            (raw_token(dict(header, alg="None"), body, signature=""), "alg None"),
            (raw_token(header, body, signature=mint(site, USER).split(".")[2]),
             "alg none with another token's signature")]


def algorithm_confusion(site, now, kid):
    # HS256 keyed with the text of the public key, which anyone can fetch.
    pem = public_pem(site)
    body = access_claims(site, USER, roles=("admin",))
    header = {"alg": "HS256", "typ": "JWT", "kid": kid}
    return [(raw_token(header, body, sign=hmac_signer(pem)),
             "HS256 keyed with the public key's PEM"),
            (raw_token(header, body, sign=hmac_signer(pem.strip())),
             "HS256 keyed with the public key's PEM, trimmed")]


def another_key(site, now, kid):
    other = ec.generate_private_key(ec.SECP256R1())
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return [(mint(site, USER, key=other), "another key under our kid"),
            (mint(site, USER, key=other, kid="20991231T235959Z-0badc0de"),
             "another key under a kid of its own"),
            (mint(site, USER, key=rsa_key, alg="RS256"),
             "RS256 with another key under our (ES256) kid")]


def kid_not_published(site, now, kid):
    return [(mint(site, USER, kid="20200101T000000Z-0123abcd"),
             "our key under a kid that is not published"),
            # swapcase: the kid's T and Z are letters, so it always differs
            # (upper() would not when the hex part is all digits).
            (mint(site, USER, kid=kid.swapcase()), "our kid with its case swapped")]


def tampered(site, now, kid):
    body = access_claims(site, USER)
    h, p, sig = mint(site, USER, claims=body).split(".")
    raised = dict(body, roles=["admin"])
    return [(f"{h}.{b64url(json.dumps(raised))}.{sig}", "a payload changed after signing"),
            (f"{h}.{p}.{sig[:-4]}", "a signature cut short"),
            (f"{h}.{p}.{mint(site, USER).split('.')[2]}", "another token's signature"),
            (f"{h}.{p}", "a token without its signature")]


def claims_of_the_wrong_form(site, now, kid):
    return [(mint(site, USER, claims=with_claims(site, **changes)), f"a token with {what}")
            for what, changes in (
                ("no uid", {"uid": None}),
                ("uid 0", {"uid": 0}),
                ("uid a string", {"uid": "7"}),
                ("no jti", {"jti": None}),
                ("a jti not of 43 characters", {"jti": "short"}),
                ("no sub", {"sub": None}),
                ("an empty sub", {"sub": ""}),
                ("roles not an array", {"roles": "admin"}),
                ("no roles", {"roles": None}),
                ("a role not a string", {"roles": ["staff", 7]}),
                ("a role with a comma", {"roles": ["staff,admin"]}),
                ("email not a string", {"email": 7}),
            )]


def register_refusal(rule, make):
    """One test per rule: the control (a valid token, granted), then each
    token make(site, now, kid) gives, refused."""
    @test(f"check_bearer_jwt_{rule}_refused", databases=SQLITE)
    def run(site):
        r = site.get("/private/", headers=bearer(mint(site, USER)))
        check(r.status == 200, "a valid access token (the control): expected 200", r)
        _, kid = signing_key(site)
        for token, what in make(site, int(time.time()), kid):
            refused(site, token, what)


for _make in (expired, exp_too_far_ahead, not_yet_valid, exp_missing_or_not_an_integer,
              wrong_audience, wrong_issuer, alg_none, algorithm_confusion, another_key,
              kid_not_published, tampered, claims_of_the_wrong_form):
    register_refusal(_make.__name__, _make)


@test("check_bearer_sso_out_token_refused", kind="sso", databases=SQLITE)
def check_bearer_sso_out_token_refused(site):
    name, password = site.new_user("ssoout")
    jar = site.login(name, password)
    r = site.get(f"{SSO_OUT}?partner=app", jar=jar)
    check(r.status == 303 and (r.location or "").startswith(APP_URL + "?token="),
          f"GET {SSO_OUT}?partner=app: expected the redirect with a token", r)
    token = r.location[len(APP_URL + "?token="):].split("&")[0]
    _, kid = signing_key(site)
    check(jwt.get_unverified_header(token).get("kid") == kid,
          "the outbound token should be signed by the same key as access tokens")
    r = site.get("/private/", headers=bearer(token))
    assert_refused(site, r, "an outbound single sign-on token as an access token")


@test("check_bearer_jwt_blacklisted_jti_refused", databases=SQLITE)
def check_bearer_jwt_blacklisted_jti_refused(site):
    name, _ = site.new_user("jwtjti")
    body = access_claims(site, name)
    token = mint(site, name, claims=body)
    r = site.get("/private/", headers=bearer(token))
    check(r.status == 200, "the token before it is revoked: expected 200", r)
    run_sql(site, "INSERT INTO revoked_jti (jti, expires_at) VALUES "
            f"('{body['jti']}', {body['exp']})")
    refused(site, token, "a token whose jti is on the blacklist")
    # Another token of the same user is not.
    r = site.get("/private/", headers=bearer(mint(site, name)))
    check(r.status == 200, "another token of the same user: expected 200", r)


@test("check_bearer_garbage_headers_never_grant", databases=SQLITE)
def check_bearer_garbage_headers_never_grant(site):
    name, password = site.new_user("garbage")
    jwt_ok = mint(site, name)
    pat_ok = add_token(site, name)
    raw = base64.b64encode(f"{name}:{pat_ok}".encode()).decode()
    jar = site.login(name, password)
    # The credentials as they should be: the control.
    for headers in (bearer(jwt_ok), bearer(pat_ok), basic(name, pat_ok)):
        r = site.get("/private/", headers=headers)
        check(r.status == 200, f"the control {list(headers.values())[0][:20]}...: expected 200", r)
    headers = [
        f"bearer {jwt_ok}", f"BEARER {jwt_ok}", f"Bearer  {jwt_ok}", f"Bearer\t{jwt_ok}",
        f"Bearer {jwt_ok} x", f"Bearer {jwt_ok}, Bearer {jwt_ok}", f"Bearer {jwt_ok},",
        f"bearer {pat_ok}", f"Bearer  {pat_ok}", f"Bearer {pat_ok}=x",
        f"Bearer {pat_ok[:-1]}", f"Bearer {pat_ok}A",
        f"basic {raw}", f"Basic  {raw}", f"Basic {raw}==", f"Basic {raw}AAAA",
        f"Basic {base64.urlsafe_b64encode(f'{name}:{pat_ok}'.encode()).decode()}x",
        "Basic " + base64.b64encode(f"{name}:{pat_ok}:".encode()).decode(),
        "Basic " + base64.b64encode(f"{name}\x01:{pat_ok}".encode()).decode(),
        f"Token {pat_ok}", f"Digest username=\"{name}\"", "Negotiate YWJj", "Bearer",
        "Basic", "Bearer ghpat_" + "A" * 43, "Bearer " + "a" * 6000, "Bearer " + "." * 50,
        "Basic " + "QUFB" * 1000,
        f"Bearer {jwt_ok}".encode() + "\u00e9".encode(),
        "Bearer t\u00f6k\u00e9n".encode(), "Bearer t\u00f6k\u00e9n".encode("latin-1"),
        ("Basic " + base64.b64encode(f"{name}:{pat_ok}".encode()).decode()).encode() + b"\xff",
        "Bearer " + "a" * 100_000,
    ]
    if raw.endswith("="):
        headers.append(f"Basic {raw.rstrip('=')}")  # its padding left out
    for value in headers:
        shown = (value if isinstance(value, str) else value.decode("latin-1"))[:60]
        for jar_ in (None, CookieJar(**jar.cookies)):
            r = site.get("/private/", headers={"Authorization": value}, jar=jar_)
            what = f"Authorization: {shown!r}{' with a session' if jar_ else ''}"
            check(r.status < 500, f"{what}: a server error", r)
            check(r.status != 200, f"{what}: granted", r)
            check(r.location is None, f"{what}: redirected", r)
    # The user's last valid credential still works: nothing above broke it.
    r = site.get("/private/", headers=bearer(pat_ok))
    check(r.status == 200, "the token after the garbage: expected 200", r)


@test("check_bearer_refused_by_every_kind_of_client", databases=SQLITE)
def check_bearer_refused_by_every_kind_of_client(site):
    # A refusal is the API client's 401 whatever the client says it takes:
    # never the browser's redirect to the login page.
    token = f"Bearer ghpat_{secrets.token_urlsafe(32)}"
    for accept in ("text/html", "application/json", "*/*", None):
        headers = {"Authorization": token}
        if accept:
            headers["Accept"] = accept
        r = Client(site.stack.port, user_agent="Mozilla/5.0").get("/private/", headers=headers)
        assert_refused(site, r, f"an unknown token with Accept: {accept}")


def start_check(site, public, log):
    """gatehouse-check with the site's configuration, [sso] public_keys_file
    replaced by public in its environment (and keys_dir by a folder that
    does not exist: the check must not need it), started as the stack starts
    it (spawn-fcgi -n: the process is the check itself) on a socket of its
    own, its output in log; the Popen."""
    sock = site.stack.state_dir.parent / f"{public.name}.sock"
    return subprocess.Popen(
        ["spawn-fcgi", "-n", "-s", str(sock), *fixtures.stack.spawn_fcgi_user_args(), "--",
         str(site.stack.responder_bin_dir / "gatehouse-check"), "--config",
         str(site.stack.config_path)],
        env=dict(os.environ, GATEHOUSE_SSO_PUBLIC_KEYS_FILE=str(public),
                 GATEHOUSE_SSO_KEYS_DIR=str(site.stack.state_dir.parent / "no-such-keys")),
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)


def run_check_briefly(site, public, log_path):
    """Starts the check with public; (whether it was still running once it
    said it started, its exit status once stopped, its output)."""
    with open(log_path, "wb") as log:
        proc = start_check(site, public, log)
        try:
            deadline = time.monotonic() + 10
            while proc.poll() is None and time.monotonic() < deadline and \
                    "started with" not in log_path.read_text():
                time.sleep(0.05)
            running = proc.poll() is None
            if running:
                proc.terminate()
            status = proc.wait(10)
        finally:
            proc.kill()
    return running, status, log_path.read_text()


@test("check_public_keys_file_read_at_start", servers=("lighttpd",), databases=SQLITE)
def check_public_keys_file_read_at_start(site):
    # A public keys file that is not one: the check stops at start with a
    # message naming the file, rather than run refusing every access token
    # without saying why.  No file at all is fine (no key published yet).
    # The site's own file (what gatehousectl wrote) is taken with keys_dir
    # gone: the check needs no private key.
    public = site.stack.state_dir.parent / "check-keys.jwks"
    public.write_text('{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}\n')
    os.chmod(public, 0o644)
    log_path = site.stack.state_dir.parent / "check-keys.log"
    running, status, out = run_check_briefly(site, public, log_path)
    check(not running and status == 1 and str(public) in out,
          f"gatehouse-check with a broken public keys file: expected exit 1 naming {public}, "
          f"got exit {status}: {out}")
    public.unlink()
    running, status, out = run_check_briefly(site, public, log_path)
    check(running and status == 0 and "every access token is refused" in out,
          f"gatehouse-check with no public keys file: expected it to run (and say it refuses "
          f"access tokens), then stop with 0; exit {status}: {out}")
    own = Path(f"{str(site.stack.keys_dir).rstrip('/')}.jwks")
    running, status, out = run_check_briefly(site, own, log_path)
    check(running and status == 0 and "every access token is refused" not in out,
          f"gatehouse-check with the site's public keys file and no keys_dir: expected it "
          f"to run with the keys; exit {status}: {out}")
