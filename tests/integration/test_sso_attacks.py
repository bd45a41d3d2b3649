"""gatehouse-sso against forged, stale, replayed and misdirected partner
tokens (design §8, §9: libjwt 1.10 checks no claim and lets the token pick
its algorithm).  Each test sends what an attacker would and asserts the
one refusal (sso_support.assert_refused): 403, the same generic page
whatever the cause, no cookie, exactly one audit row "sso_refused" whose
reason names the precise cause, and still no session for the check (nor
any session of the user the token names).

The tokens are made by hand where no library would sign them (alg none,
an HMAC keyed with a public key, claims changed after signing) and by
PyJWT with the partners' keys otherwise.  These run on the sso site under
every web server, on SQLite; the jti replay across two web servers runs on
a pair of sites sharing one MariaDB or PostgreSQL database (run.py's
multi-server tests)."""

import json
import time

from client import CookieJar
from fixtures import COOKIE
from harness import TestFailure, check, multi_server_test, test
from sso_support import (AUDIENCE, DROP, ISSUERS, MAX_LIFETIME, SKEW, assert_refused,
                         assert_signed_in, b64url, claims, hmac_signer, jwt, mint, raw_token,
                         roles_seen, signer, sso_get, sso_post, whoami)

KIND = "sso"
NOT_YET = "not valid yet (nbf or iat ahead)"
MAX_TOKEN = 8192  # bytes: the longest token gatehouse-sso takes (gatehouse-sso(8))


def attack(site, token, reason, what, user=None, next=None, post=False):
    """Sends token (GET, or POST) and asserts the refusal for reason."""
    r, ua = (sso_post if post else sso_get)(site, token, next=next)
    return assert_refused(site, r, ua, reason, what, user=user)


def accepted(site, token, user, what, next=None):
    """Sends token (GET) and asserts it signs user in."""
    jar = CookieJar()
    r, ua = sso_get(site, token, next=next, jar=jar)
    assert_signed_in(site, r, jar, user, next or "/private/", what, ua=ua)
    return jar


def hs_signed(site, header, body, partner="hs"):
    """A token with header and body as given, HMAC-SHA256 signed with the
    secret of partner (hs by default)."""
    return raw_token(header, body, sign=hmac_signer(site.partner_keys.secrets[partner]))


# -- The algorithm --------------------------------------------------------------


@test("sso_alg_none_refused", kind=KIND)
def sso_alg_none_refused(site):
    name, _ = site.new_user("ssonone")
    secret = site.partner_keys.secrets["hs"]
    # With a signature (any: nothing verifies "none"), refused by name; the
    # signature part left empty, as "none" tokens are, refused by form.
    for alg in ("none", "None", "NONE", "nOnE"):
        for partner, who in (("hs", name), ("rs", "none@rs.partner.test"),
                             ("es", name)):
            body = claims(partner, who)
            attack(site, raw_token({"alg": alg, "typ": "JWT"}, body,
                                   sign=hmac_signer(secret)),
                   "algorithm not allowed", f"{partner}: alg {alg!r} with a signature",
                   user=who if partner != "rs" else None)
            attack(site, raw_token({"alg": alg, "typ": "JWT"}, body),
                   "malformed token", f"{partner}: alg {alg!r}, empty signature",
                   user=who if partner != "rs" else None)
    body = claims("hs", name)
    attack(site, jwt.encode(body, None, algorithm="none"), "malformed token",
           "alg none as PyJWT signs it", user=name)
    for header, what in (({"typ": "JWT"}, "no alg"), ({"alg": None}, "alg null"),
                         ({"alg": ""}, "alg empty"), ({"alg": ["HS256"]}, "alg an array"),
                         ({"alg": "hs256"}, "alg hs256 (case)"),
                         ({"alg": "HS256 "}, "alg with a space")):
        attack(site, raw_token(header, body, sign=hmac_signer(secret)),
               "algorithm not allowed", f"a header with {what}", user=name)
    attack(site, raw_token({"alg": "none"}, body, sign=hmac_signer(secret)),
           "algorithm not allowed", "alg none by POST", user=name, post=True)


@test("sso_hs256_signed_with_public_key_refused", kind=KIND)
def sso_hs256_signed_with_public_key_refused(site):
    # Algorithm confusion: the rs partner's public key is public; an HMAC
    # keyed with its PEM text would verify under a library that lets the
    # token's header choose the algorithm for that key.
    keys = site.partner_keys
    email = "confused@rs.partner.test"
    site.stack.ctl("user", "add", "confused", "--email", email, "--random-password")
    body = claims("rs", email)
    pem = keys.rs_public_pem
    for secret, what in ((pem, "the PEM file's text"), (pem.rstrip("\n"), "the PEM, no newline"),
                         (keys.rs_public_file.read_bytes(), "the file's bytes")):
        for alg in ("HS256", "HS384", "HS512"):
            attack(site, raw_token({"alg": alg, "typ": "JWT"}, body,
                                   sign=hmac_signer(secret, alg)),
                   "algorithm not allowed", f"rs: {alg} keyed with {what}", user="confused")
    # The es partner's keys are a JWKS: keyed with that document or a JWK.
    jwks_text = keys.es_jwks_file.read_text()
    one_jwk = json.dumps(json.loads(jwks_text)["keys"][0])
    for secret, what in ((jwks_text, "the JWKS document"), (one_jwk, "the JWK of es-1")):
        attack(site, raw_token({"alg": "HS256", "typ": "JWT", "kid": "es-1"},
                               claims("es", "confused"), sign=hmac_signer(secret)),
               "algorithm not allowed", f"es: HS256 keyed with {what}", user="confused")


@test("sso_other_partners_algorithm_refused", kind=KIND)
def sso_other_partners_algorithm_refused(site):
    keys = site.partner_keys
    name, _ = site.new_user("ssootheralg")
    email = f"{name}@rs.partner.test"
    site.stack.ctl("user", "add", f"{name}rs", "--email", email, "--random-password")
    cases = (
        ("rs", email, keys.es["es-1"], "ES256", {"kid": "es-1"}, "rs (RS256) signed ES256"),
        ("rs", email, keys.rs, "RS512", {}, "rs (RS256) signed RS512 with its own key"),
        ("rs", email, keys.rs, "PS256", {}, "rs (RS256) signed PS256 with its own key"),
        ("hs", name, keys.rs, "RS256", {}, "hs (HS256) signed RS256"),
        ("hs", name, keys.secrets["hs"], "HS512", {}, "hs (HS256) signed HS512, its secret"),
        ("es", name, keys.rs, "RS256", {"kid": "es-1"}, "es (ES256) signed RS256"),
        ("es", name, keys.secrets["hs"], "HS256", {"kid": "es-1"}, "es (ES256) signed HS256"),
    )
    for partner, who, key, alg, headers, what in cases:
        token = jwt.encode(claims(partner, who), key, algorithm=alg, headers=headers or None)
        attack(site, token, "algorithm not allowed", what,
               user=f"{name}rs" if partner == "rs" else name)


@test("sso_bad_signature_refused", kind=KIND)
def sso_bad_signature_refused(site):
    keys = site.partner_keys
    name, _ = site.new_user("ssobadsig")
    victim, _ = site.new_user("ssovictim")
    email = f"{name}@rs.partner.test"
    site.stack.ctl("user", "add", f"{name}rs", "--email", email, "--random-password")
    cases = (
        (jwt.encode(claims("hs", name), "w" * 48, algorithm="HS256"), "hs: another secret"),
        (jwt.encode(claims("hs", name), keys.secrets["boss"], algorithm="HS256"),
         "hs: the boss partner's secret"),
        (jwt.encode(claims("boss", name), keys.secrets["hs"], algorithm="HS256"),
         "boss's issuer, signed with hs's secret"),
        (jwt.encode(claims("rs", email), keys.rogue_rs, algorithm="RS256"),
         "rs: another RSA key"),
        (jwt.encode(claims("es", name), keys.es["es-2"], algorithm="ES256",
                    headers={"kid": "es-1"}), "es: kid es-1, signed by es-2's key"),
        (jwt.encode(claims("es", name), keys.rogue_es, algorithm="ES256",
                    headers={"kid": "es-1"}), "es: another EC key"),
    )
    for token, what in cases:
        attack(site, token, "bad signature", what, user=name)
    # Claims changed after signing: the victim's name in a token signed for
    # the attacker.
    token = mint(site, "hs", name)
    header, _, signature = token.split(".")
    forged = raw_token({"alg": "HS256", "typ": "JWT"}, claims("hs", victim), signature=signature)
    attack(site, forged, "bad signature", "hs: the sub changed after signing", user=victim)
    # A signature cut to half its length (still canonical base64url).
    cut = token[:len(token) - (len(signature) // 2 // 4 * 4)]
    attack(site, cut, "bad signature", "hs: the signature cut short", user=name)


# -- Time -------------------------------------------------------------------------


@test("sso_missing_exp_refused", kind=KIND)
def sso_missing_exp_refused(site):
    name, _ = site.new_user("ssonoexp")
    now = int(time.time())
    for exp, what in ((DROP, "no exp"), (str(now + 60), "exp a string"),
                      (now + 60.5, "exp not an integer"), (None, "exp null")):
        attack(site, mint(site, "hs", name, exp=exp), "no exp", f"a token with {what}", user=name)


@test("sso_expired_refused", kind=KIND)
def sso_expired_refused(site):
    name, _ = site.new_user("ssoexpired")
    now = int(time.time())
    for exp, what in ((now - SKEW - 5, "expired beyond the skew"),
                      (now - 86400, "expired a day ago"), (0, "exp 0")):
        attack(site, mint(site, "hs", name, exp=exp, iat=now - 86400 * 2), "expired",
               f"a token {what}", user=name)
    accepted(site, mint(site, "hs", name, exp=now - 10, iat=now - 100), name,
             "a token expired 10 s ago, within the 60 s skew")


@test("sso_exp_too_far_ahead_refused", kind=KIND)
def sso_exp_too_far_ahead_refused(site):
    name, _ = site.new_user("ssofar")
    now = int(time.time())
    for exp, what in ((now + MAX_LIFETIME + SKEW + 60, "past max_lifetime and the skew"),
                      (now + 86400 * 365, "a year ahead"), (2 ** 62, "at 2^62")):
        attack(site, mint(site, "hs", name, exp=exp), "exp too far ahead",
               f"a token valid until {what}", user=name)


@test("sso_nbf_in_future_refused", kind=KIND)
def sso_nbf_in_future_refused(site):
    name, _ = site.new_user("ssonbf")
    now = int(time.time())
    attack(site, mint(site, "hs", name, nbf=now + SKEW + 30), NOT_YET,
           "a token with nbf beyond the skew", user=name)
    attack(site, mint(site, "hs", name, iat=now + SKEW + 30), NOT_YET,
           "a token issued (iat) beyond the skew ahead", user=name)
    accepted(site, mint(site, "hs", name, nbf=now + 10, iat=now + 10), name,
             "nbf and iat 10 s ahead, within the skew")


# -- Who it is for, who sent it ------------------------------------------------


@test("sso_wrong_issuer_refused", kind=KIND)
def sso_wrong_issuer_refused(site):
    name, _ = site.new_user("ssoiss")
    for iss, what in (("https://evil.partner.test", "an issuer no partner has"),
                      (ISSUERS["hs"] + "/", "the partner's issuer with a slash"),
                      (ISSUERS["hs"].upper(), "the partner's issuer in capitals"),
                      (DROP, "no iss"), ([ISSUERS["hs"]], "iss an array")):
        attack(site, mint(site, "hs", name, iss=iss), "unknown partner",
               f"a token with {what}", user=name)


@test("sso_wrong_audience_refused", kind=KIND)
def sso_wrong_audience_refused(site):
    name, _ = site.new_user("ssoaud")
    for aud, what in (("https://other.test/auth", "another audience (a string)"),
                      (AUDIENCE + "/", "the audience with a slash"),
                      (AUDIENCE.upper(), "the audience in capitals"),
                      (["https://other.test/auth", "x"], "an array without ours"),
                      ([], "an empty array"), (DROP, "no aud")):
        attack(site, mint(site, "hs", name, aud=aud), "wrong audience",
               f"a token with {what}", user=name)
    accepted(site, mint(site, "hs", name, aud=["https://other.test/auth", AUDIENCE]), name,
             "aud an array holding ours")


# -- Replays ------------------------------------------------------------------------


@test("sso_replayed_jti_refused", kind=KIND)
def sso_replayed_jti_refused(site):
    name, _ = site.new_user("ssoreplay")
    token = mint(site, "hs", name)
    first = accepted(site, token, name, "the token's first use")
    attack(site, token, "replayed jti", "the same token again (GET)")
    attack(site, token, "replayed jti", "the same token again (POST)", post=True)
    # A new token (new iat, new signature) with a jti used before.
    jti = claims("hs", name)["jti"]
    accepted(site, mint(site, "hs", name, jti=jti), name, "a fresh jti's first use")
    attack(site, mint(site, "hs", name, jti=jti, iat=int(time.time()) - 5),
           "replayed jti", "another token with a used jti")
    site.assert_session_valid(first, "the session of the token's first use")
    check(len(site.stack.ctl("session", "list", name).stdout.splitlines()) == 2,
          "the replays made sessions")
    # jtis are per partner: boss may use a jti hs used.
    jar = CookieJar()
    r, ua = sso_get(site, mint(site, "boss", name, jti=jti), jar=jar)
    assert_signed_in(site, r, jar, name, "/admin/", "another partner's token with that jti",
                     partner="boss", ua=ua)


@test("sso_missing_jti_refused", kind=KIND)
def sso_missing_jti_refused(site):
    name, _ = site.new_user("ssonojti")
    for jti, what in ((DROP, "no jti"), ("", "an empty jti"), (12345, "a numeric jti"),
                      ("j" * 256, "a jti of 256 bytes"), (None, "jti null")):
        attack(site, mint(site, "hs", name, jti=jti), "no valid jti", f"a token with {what}",
               user=name)


# -- Keys -----------------------------------------------------------------------------


@test("sso_kid_not_in_jwks_refused", kind=KIND)
def sso_kid_not_in_jwks_refused(site):
    keys = site.partner_keys
    name, _ = site.new_user("ssokid")
    body = claims("es", name)
    for headers, what in (({"kid": "es-9"}, "a kid the JWKS lacks"),
                          ({"kid": "ES-1"}, "a kid in other case"),
                          ({"kid": ""}, "an empty kid"), ({}, "no kid")):
        attack(site, jwt.encode(body, keys.rogue_es, algorithm="ES256", headers=headers or None),
               "unknown kid", f"es: {what}", user=name)
    attack(site, raw_token({"alg": "ES256", "typ": "JWT", "kid": 1}, body,
                           sign=signer("ES256", keys.es["es-1"])),
           "bad header", "es: a kid that is not a string", user=name)
    # Both keys of the JWKS are taken, each by its kid.
    for kid in ("es-1", "es-2"):
        accepted(site, mint(site, "es", name, kid=kid), name, f"es: signed by {kid}")


# -- Form ---------------------------------------------------------------------------


@test("sso_token_over_8192_bytes_refused", kind=KIND)
def sso_token_over_8192_bytes_refused(site):
    name, _ = site.new_user("ssolong")
    body = claims("hs", name)
    body["pad"] = ""
    base = len(mint(site, "hs", name, claims_=body))
    # Each 3 bytes of padding are 4 base64url characters.
    body["pad"] = "p" * ((MAX_TOKEN + 400 - base) * 3 // 4)
    token = mint(site, "hs", name, claims_=body)
    check(len(token) > MAX_TOKEN, f"the long token has {len(token)} bytes")
    attack(site, token, "token too long", f"a token of {len(token)} bytes (POST)", user=name,
           post=True)


@test("sso_token_of_8192_bytes_accepted", kind=KIND)
def sso_token_of_8192_bytes_accepted(site):
    # The longest token taken must be taken by POST (a GET of 8 KB is over
    # what the web servers take in a request line).
    name, _ = site.new_user("ssomax")
    body = claims("hs", name)
    body["pad"] = ""
    n = 0
    while True:
        body["pad"] = "p" * n
        token = mint(site, "hs", name, claims_=body)
        if len(token) >= MAX_TOKEN:
            break
        n += max(1, (MAX_TOKEN - len(token)) * 3 // 4)
    while len(token) > MAX_TOKEN:
        n -= 1
        body["pad"] = "p" * n
        token = mint(site, "hs", name, claims_=body)
    check(MAX_TOKEN - 3 <= len(token) <= MAX_TOKEN, f"the token has {len(token)} bytes")
    jar = CookieJar()
    r, ua = sso_post(site, token, jar=jar)
    assert_signed_in(site, r, jar, name, "/private/",
                     f"a token of {len(token)} bytes by POST", ua=ua)


@test("sso_truncated_and_garbage_tokens_refused", kind=KIND)
def sso_truncated_and_garbage_tokens_refused(site):
    name, _ = site.new_user("ssogarbage")
    token = mint(site, "hs", name)
    header, payload, signature = token.split(".")
    twice_alg = b64url('{"alg":"HS256","alg":"none"}')
    twice_sub = b64url(json.dumps(claims("hs", name))[:-1] + ', "sub": "x"}')
    cases = (
        (f"{header}.{payload[:len(payload) // 2]}", "cut in the middle of its claims"),
        (f"{header}.{payload}", "without its signature part"),
        (f"{header}.{payload}.", "with an empty signature"),
        (f"{header}.{payload}.{signature}.", "with a fourth part"),
        (f"{header}..{signature}", "with an empty claims part"),
        (f".{payload}.{signature}", "with an empty header"),
        (f"{header}.{payload}.{signature}=", "with base64 padding"),
        (f"{header}.{payload} .{signature}", "with a space"),
        (f"{header}.{payload[:-1]}+.{signature}", "with a base64 (not base64url) character"),
        (f"{b64url('not json')}.{payload}.{signature}", "with a header that is not JSON"),
        ("not-a-jwt", "that is no JWT at all"),
        ("a.b.c", "of three parts that decode to nothing"),
        ("eyJ9.eyJ9.eyJ9", "of parts that are not JSON objects"),
        (hs_signed(site, {"alg": "HS256"}, ["not", "an", "object"]),
         "whose claims are a JSON array"),
        (f"{twice_alg}.{payload}.{signature}", "with a header naming alg twice"),
        (f"{header}.{twice_sub}.{signature}", "with claims naming sub twice"),
    )
    attack(site, "", "no token", "an empty token", user=name)
    # Every case is tried, and every one that fails named, before the test
    # fails: which refusals name the wrong cause is the finding.
    problems = []
    for bad, what in cases:
        try:
            attack(site, bad, "malformed token", f"a token {what}", user=name)
        except TestFailure as e:
            problems.append(str(e).split("\n")[0])
    check(not problems, f"{len(problems)} of {len(cases)} broken tokens:\n" +
          "\n".join(problems))
    r, ua = sso_get(site, token, next=None)
    check(r.status == 303, "the intact token after its broken copies: expected 303", r)


@test("sso_redirect_outside_allowlist_refused", kind=KIND)
def sso_redirect_outside_allowlist_refused(site):
    name, _ = site.new_user("ssonext")
    for next, what in (("https://evil.example/", "another site"),
                       ("//evil.example/private/", "a scheme-relative URL"),
                       ("/\\evil.example/", "a backslash"),
                       ("https://app.partner.test.evil.example/", "a host that only "
                        "starts like the allowed one"),
                       ("http://app.partner.test/", "the allowed host over http"),
                       ("https://app.partner.test", "the allowed prefix without its slash"),
                       ("/admin/", "a path not allowed"),
                       ("/private", "the allowed folder without its slash"),
                       ("/public/index.html?x=1", "an exact target with a query added"),
                       ("javascript:alert(1)", "a javascript: URL"),
                       ("/" + "n" * 3000, "3000 bytes")):
        attack(site, mint(site, "hs", name), "redirect not allowed",
               f"next with {what}", user=name, next=next)
    # Control characters by POST (lighttpd refuses them in a URL itself).
    for next, what in (("/private/\r\nSet-Cookie: x=1", "CR LF"), ("/private/\tx", "a tab"),
                       ("/private/ x", "a space")):
        attack(site, mint(site, "hs", name), "redirect not allowed", f"next with {what} (POST)",
               user=name, next=next, post=True)
    attack(site, mint(site, "hs", name), "redirect not allowed", "next with another site "
           "(POST)", user=name, next="https://evil.example/", post=True)
    attack(site, mint(site, "hs", name), "redirect not allowed", "next of 3000 bytes (POST)",
           user=name, next="/private/" + "n" * 3000, post=True)


# -- Across web servers ----------------------------------------------------------


@multi_server_test("sso_multi_server_replayed_jti_refused", kind="sso_multi")
def sso_multi_server_replayed_jti_refused(pair):
    first, second = pair.first, pair.second
    for a, b in ((first, second), (second, first)):
        email = f"multi{time.monotonic_ns()}@multi.partner.test"
        token = mint(a, "multi", email)
        jar = CookieJar()
        r, ua = sso_get(a, token, jar=jar)
        assert_signed_in(a, r, jar, email, "/private/", f"the token's first use, on {a.label}",
                         partner="multi", ua=ua)
        r, ua = sso_get(b, token)
        assert_refused(b, r, ua, "replayed jti", f"the token used on {a.label}, again on "
                       f"{b.label}")
        r, ua = sso_get(a, token)
        assert_refused(a, r, ua, "replayed jti", f"the token again on {a.label}")


@multi_server_test("sso_multi_server_provisioned_user_roles_and_out", kind="sso_multi")
def sso_multi_server_provisioned_user_roles_and_out(pair):
    # On a server database each responder runs under its own account: this
    # walks gatehouse-sso through every statement it has (a provisioned
    # user, mapped roles, a refusal's audit row, sending the user out).
    first, second = pair.first, pair.second
    email = f"prov{time.monotonic_ns()}@multi.partner.test"
    jar = CookieJar()
    r, ua = sso_get(first, mint(first, "multi", email, groups=["editors"]), jar=jar)
    assert_signed_in(first, r, jar, email, "/private/", f"a provisioned user on {first.label}",
                     partner="multi", ua=ua)
    env = whoami(second, jar)
    check(env is not None and env.get("GATEHOUSE_USER") == email,
          f"the session made on {first.label} on {second.label}: {env}")
    check(roles_seen(second, jar) == {"editor"},
          f"the mapped role on {second.label}: {roles_seen(second, jar)}")
    # The e-mail in capitals is the same user on this database too.
    jar2 = CookieJar()
    r, ua = sso_get(second, mint(second, "multi", email.upper()), jar=jar2)
    assert_signed_in(second, r, jar2, email, "/private/", f"the e-mail in capitals on "
                     f"{second.label}", partner="multi", ua=ua)
    r = second.get("/auth/sso/out?partner=app", jar=jar)
    check(r.status == 303 and "token=" in (r.location or ""),
          f"sso out on {second.label} with the session made on {first.label}: expected 303", r)
    r, ua = sso_get(second, mint(second, "multi", email, aud="x"))
    assert_refused(second, r, ua, "wrong audience", f"a refusal on {second.label}")
    check(jar.get(COOKIE), "the session cookie went missing")
