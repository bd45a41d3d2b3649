"""Access tokens the check must refuse, one rule each (common/jwt_access.h,
design §9's libjwt pitfalls): out of time, another audience (an outbound
single sign-on token among them, signed by the same key), another issuer,
alg none, HS256 keyed with the public key's PEM, another key, a kid not
published, a jti on the blacklist, a payload changed after signing, claims
of the wrong form; and Authorization headers that are not what they seem
(the scheme's case, spaces, non-ASCII, huge), which must never grant and
never be a server error.  Each refusal is the 401 of bearer_support.
assert_refused, never a redirect to the login page.  Under the three web
servers, on SQLite."""

import base64
import json
import os
import secrets
import subprocess
import time

from bearer_support import (ACCESS_LIFETIME, SKEW, access_claims, add_token, assert_refused,
                            b64url, basic, bearer, issuer, mint, public_pem, run_sql,
                            signing_key)
import fixtures
from client import Client, CookieJar
from harness import check, test
from sso_support import APP_AUDIENCE, APP_URL, SSO_OUT, ec, hmac_signer, jwt, raw_token, rsa

SQLITE = ("sqlite",)


def refused(site, token, what, error="invalid_token"):
    """token as Bearer on /private/ must be refused."""
    assert_refused(site, site.get("/private/", headers=bearer(token)), what, error=error)


@test("check_bearer_jwt_out_of_time_refused", databases=SQLITE)
def check_bearer_jwt_out_of_time_refused(site):
    name, _ = site.new_user("jwttime")
    now = int(time.time())
    # The same claims in time are taken: the refusals below are for time.
    r = site.get("/private/", headers=bearer(mint(site, name)))
    check(r.status == 200, "a token in time: expected 200", r)
    refused(site, mint(site, name, iat=now - ACCESS_LIFETIME - 2 * SKEW,
                       exp=now - SKEW - 5), "an expired token")
    refused(site, mint(site, name, exp=now + ACCESS_LIFETIME + SKEW + 120),
            "a token whose exp is further ahead than the access lifetime")
    refused(site, mint(site, name, iat=now + SKEW + 120, exp=now + SKEW + 300),
            "a token issued in the future")
    refused(site, mint(site, name, exp=None), "a token without exp")
    refused(site, mint(site, name, exp=str(now + 60)), "a token whose exp is a string")


@test("check_bearer_jwt_wrong_audience_or_issuer_refused", databases=SQLITE)
def check_bearer_jwt_wrong_audience_or_issuer_refused(site):
    name, _ = site.new_user("jwtaud")
    refused(site, mint(site, name, aud=APP_AUDIENCE),
            "a token for a partner's audience (what /auth/sso/out signs)")
    refused(site, mint(site, name, aud=None), "a token without aud")
    refused(site, mint(site, name, aud=issuer(site) + "/"), "a token with aud nearly ours")
    refused(site, mint(site, name, iss="https://other.test/auth"), "a token of another issuer")
    refused(site, mint(site, name, iss=None), "a token without iss")
    refused(site, mint(site, name, iss=issuer(site).upper()), "a token with iss in capitals")


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


@test("check_bearer_jwt_forged_signatures_refused", databases=SQLITE)
def check_bearer_jwt_forged_signatures_refused(site):
    name, _ = site.new_user("jwtsig")
    _, kid = signing_key(site)
    body = access_claims(site, name, roles=("admin",))
    header = {"alg": "none", "typ": "JWT", "kid": kid}
    refused(site, raw_token(header, body, signature=""), "alg none, no signature")
    refused(site, raw_token(dict(header, alg="None"), body, signature=""), "alg None")
    # Algorithm confusion: HS256 keyed with the public key's PEM text.
    pem = public_pem(site)
    refused(site, raw_token({"alg": "HS256", "typ": "JWT", "kid": kid}, body,
                            sign=hmac_signer(pem)), "HS256 keyed with the public key's PEM")
    refused(site, raw_token({"alg": "HS256", "typ": "JWT", "kid": kid}, body,
                            sign=hmac_signer(pem.strip())), "HS256 keyed with the PEM, trimmed")
    # Another key: under our kid (a bad signature), and under its own.
    other = ec.generate_private_key(ec.SECP256R1())
    refused(site, mint(site, name, key=other, claims=body), "another key under our kid")
    refused(site, mint(site, name, key=other, kid="20991231T235959Z-0badc0de", claims=body),
            "another key under a kid of its own")
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    refused(site, mint(site, name, key=rsa_key, alg="RS256", claims=body),
            "RS256 with another key under our (ES256) kid")
    # Our key under a kid that is not published.
    refused(site, mint(site, name, kid="20200101T000000Z-0123abcd", claims=body),
            "our key under a kid not published")
    # The payload changed after signing (roles raised).
    good = mint(site, name, claims=body)
    h, p, s = good.split(".")
    changed = dict(body, roles=["admin", "root"])
    refused(site, f"{h}.{b64url(json.dumps(changed))}.{s}", "a payload changed after signing")
    # A signature cut or taken from another token.
    refused(site, f"{h}.{p}.{s[:-4]}", "a signature cut short")
    refused(site, f"{h}.{p}.{mint(site, name).split('.')[2]}", "another token's signature")
    r = site.get("/admin/", headers=bearer(good))
    check(r.status == 200, "the token as signed (the control): expected 200 on /admin/", r)


@test("check_bearer_jwt_claims_of_the_wrong_form_refused", databases=SQLITE)
def check_bearer_jwt_claims_of_the_wrong_form_refused(site):
    name, _ = site.new_user("jwtform")
    for what, changes in (
            ("no uid", {"uid": None}),
            ("uid 0", {"uid": 0}),
            ("uid a string", {"uid": "7"}),
            ("no jti", {"jti": None}),
            ("a jti not of 43 characters", {"jti": "short"}),
            ("no sub", {"sub": None}),
            ("an empty sub", {"sub": ""}),
            ("roles not an array", {"roles": "admin"}),
            ("a role not a string", {"roles": ["staff", 7]}),
            ("a role with a comma", {"roles": ["staff,admin"]}),
            ("email not a string", {"email": 7}),
    ):
        body = access_claims(site, name)
        for claim, value in changes.items():
            if value is None:
                del body[claim]
            else:
                body[claim] = value
        refused(site, mint(site, name, claims=body), f"a token with {what}")


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


def start_check(site, keys, log):
    """gatehouse-check with the site's configuration, [sso] keys_dir replaced
    by keys in its environment, started as the stack starts it (spawn-fcgi
    -n: the process is the check itself) on a socket of its own, its
    output in log; the Popen."""
    sock = site.stack.state_dir.parent / f"{keys.name}.sock"
    return subprocess.Popen(
        ["spawn-fcgi", "-n", "-s", str(sock), *fixtures.stack.spawn_fcgi_user_args(), "--",
         str(site.stack.responder_bin_dir / "gatehouse-check"), "--config",
         str(site.stack.config_path)],
        env=dict(os.environ, GATEHOUSE_SSO_KEYS_DIR=str(keys)), stdin=subprocess.DEVNULL,
        stdout=log, stderr=subprocess.STDOUT)


@test("check_keys_folder_read_at_start", servers=("lighttpd",), databases=SQLITE)
def check_keys_folder_read_at_start(site):
    # A key file that is no key: the check stops at start with a message
    # naming the file (as gatehouse-sso does), rather than run refusing
    # every access token without saying why.  An empty folder is fine.
    keys = site.stack.state_dir.parent / "check-keys"
    keys.mkdir()
    bad = keys / "20260101T000000Z-0123abcd.pem"
    bad.write_text("not a key\n")
    os.chmod(keys, 0o700)
    os.chmod(bad, 0o600)
    account = site.stack.system_account
    if account is not None:  # as root: the responders' account owns keys
        for path in (keys, bad):
            os.chown(path, account.uid, account.gid)
    log_path = site.stack.state_dir.parent / "check-keys.log"
    with open(log_path, "wb") as log:
        proc = start_check(site, keys, log)
        try:
            status = proc.wait(30)
        finally:
            proc.kill()
    out = log_path.read_text()
    check(status == 1 and f"{bad}: not a PEM file" in out,
          f"gatehouse-check with a broken key: expected exit 1 naming {bad}, got exit "
          f"{status}: {out}")
    bad.unlink()
    with open(log_path, "wb") as log:
        proc = start_check(site, keys, log)
        try:
            deadline = time.monotonic() + 10
            while proc.poll() is None and time.monotonic() < deadline and \
                    "started with" not in log_path.read_text():
                time.sleep(0.05)
            running = proc.poll() is None
            proc.terminate()
            status = proc.wait(10)
        finally:
            proc.kill()
    out = log_path.read_text()
    check(running and status == 0 and "every access token is refused" in out,
          f"gatehouse-check with no key: expected it to run (and say it refuses access "
          f"tokens), then stop with 0; exit {status}: {out}")
