"""gatehouse-sso speaks JWT as other implementations do (design §8): the
tokens partners sign with PyJWT (python3-jwt) and with the npm package jose
(tests/interop/jwt.mjs), in each algorithm family a partner may use
(HS256 with a shared secret, RS256 with a PEM public key, ES256 with a
JWKS), open a session the check accepts; the tokens Gatehouse signs for a
partner (/auth/sso/out, with its ES256 key and, on a site of its own, an
RS256 key) verify under PyJWT (PyJWKSet) and jose against the keys it
publishes at /auth/jwks.json, with the claims gatehouse-sso(8) lists.

On the sso site (sso_support.py) under every web server, on SQLite; the
RS256 site under lighttpd only (the web server plays no part in signing)."""

import json
import time
from urllib.parse import parse_qs, urlsplit

import fixtures
from client import CookieJar
from harness import check, site_kind, test
from fixtures import FAST_HASHING
from sso_support import (APP_AUDIENCE, APP_URL, JWKS, OUT_LIFETIME, SSO_OUT,
                         assert_signed_in, jose, jose_available, jose_mint, jwt, mint, sso_get,
                         whoami)

KIND = "sso"


def partner_users(site, prefix):
    """A user for each inbound partner, as its user claim names him:
    {partner: value of the claim}."""
    name, _ = site.new_user(prefix)
    email = f"{name}@rs.partner.test"
    site.stack.ctl("user", "add", f"{name}rs", "--email", email, "--random-password")
    return {"hs": name, "rs": email, "es": name}


def who_signs_in(site, claim):
    """The local user name behind a partner's user claim (rs: by e-mail)."""
    if "@" not in claim:
        return claim
    return claim.split("@")[0] + "rs"


def accept_all(site, tokens, library):
    for partner, (token, claim) in tokens.items():
        jar = CookieJar()
        r, ua = sso_get(site, token, jar=jar)
        user = who_signs_in(site, claim)
        assert_signed_in(site, r, jar, user, "/private/",
                         f"a {partner} token signed by {library}", partner=partner, ua=ua)
        r = site.get("/private/", jar=jar)
        check(r.status == 200, f"{library}, {partner}: GET /private/ with the session", r)


@test("sso_pyjwt_tokens_accepted", kind=KIND)
def sso_pyjwt_tokens_accepted(site):
    users = partner_users(site, "pyjwt")
    accept_all(site, {p: (mint(site, p, users[p]), users[p]) for p in users}, "PyJWT")
    # The second key of the es partner's JWKS.
    accept_all(site, {"es": (mint(site, "es", users["es"], kid="es-2"), users["es"])},
               "PyJWT (kid es-2)")


@test("sso_jose_tokens_accepted", kind=KIND)
def sso_jose_tokens_accepted(site):
    jose_available()
    users = partner_users(site, "jose")
    accept_all(site, {p: (jose_mint(site, p, users[p]), users[p]) for p in users}, "jose")
    accept_all(site, {"es": (jose_mint(site, "es", users["es"], kid="es-2"), users["es"])},
               "jose (kid es-2)")


# -- Tokens of ours -------------------------------------------------------------


def out_token(site, jar, partner, next=None):
    """GET /auth/sso/out?partner=...: the token and the query it carries."""
    query = f"?partner={partner}" + (f"&next={next}" if next else "")
    r = site.get(SSO_OUT + query, jar=jar)
    check(r.status == 303, f"GET {SSO_OUT}{query}: expected 303", r)
    parts = urlsplit(r.location or "")
    params = parse_qs(parts.query)
    check(len(params.get("token", [])) == 1, f"GET {SSO_OUT}{query}: no token in Location", r)
    return r, params["token"][0], params


def published(site):
    r = site.get(JWKS)
    check(r.status == 200, f"GET {JWKS}: expected 200", r)
    return json.loads(r.text)


def verify_with_pyjwt(site, token, audience):
    """The claims of token, verified by PyJWT with the key of
    /auth/jwks.json its kid names (PyJWKSet); (header, claims)."""
    header = jwt.get_unverified_header(token)
    keys = {k.key_id: k for k in jwt.PyJWKSet.from_dict(published(site)).keys}
    check(header.get("kid") in keys, f"the token's kid {header.get('kid')!r} is not published: "
          f"{sorted(keys)}")
    key = keys[header["kid"]]
    check(header["alg"] in ("ES256", "RS256"), f"the token's alg: {header}")
    try:
        body = jwt.decode(token, key.key, algorithms=[header["alg"]], audience=audience,
                          issuer=site.stack.settings["sso"]["issuer"],
                          options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]})
    except jwt.PyJWTError as e:
        check(False, f"PyJWT refuses the token of {SSO_OUT}: {type(e).__name__}: {e}")
    return header, body


def check_out_claims(site, body, header, name, email, roles, audience, alg):
    now = int(time.time())
    check(header["alg"] == alg, f"the token should be {alg}: {header}")
    check(body["iss"] == site.stack.settings["sso"]["issuer"], f"iss: {body}")
    check(body["aud"] == audience, f"aud should be {audience!r}: {body}")
    check(body["sub"] == name, f"sub should be {name!r}: {body}")
    check(body.get("email") == email, f"email should be {email!r}: {body}")
    check(body["roles"] == roles, f"roles should be the array {roles}: {body}")
    check(isinstance(body["jti"], str) and len(body["jti"]) >= 16, f"jti: {body}")
    check(abs(body["iat"] - now) <= 5, f"iat should be now ({now}): {body}")
    check(body["exp"] == body["iat"] + OUT_LIFETIME,
          f"exp should be iat + {OUT_LIFETIME} ([sso] out_lifetime): {body}")


@test("sso_out_token_verified_by_pyjwt_against_jwks", kind=KIND)
def sso_out_token_verified_by_pyjwt_against_jwks(site):
    name, password = site.new_user("outpy", roles=["admin"])
    email = f"{name}@gatehouse.test"
    site.stack.ctl("user", "add", f"{name}m", "--email", email, "--password-stdin",
                   input=password + "\n")
    jar = site.login(f"{name}m", password)
    r, token, params = out_token(site, jar, "app", next="/dash%3Fa%3D1")
    check(r.location.startswith(APP_URL + "?token="), f"expected {APP_URL}?token=...", r)
    check(params.get("next") == ["/dash?a=1"], f"next should come through: {params}", r)
    header, body = verify_with_pyjwt(site, token, APP_AUDIENCE)
    check_out_claims(site, body, header, f"{name}m", email, [], APP_AUDIENCE, "ES256")
    # Roles as an array; a partner without out_audience: its name.
    jar = site.login(name, password)
    _, token, _ = out_token(site, jar, "es")
    header, body = verify_with_pyjwt(site, token, "es")
    check_out_claims(site, body, header, name, None, ["admin"], "es", "ES256")
    _, again, _ = out_token(site, jar, "es")
    check(jwt.decode(again, options={"verify_signature": False})["jti"] != body["jti"],
          "two tokens share a jti")
    # Roles a partner gave the session go along.
    jar = CookieJar()
    r, ua = sso_get(site, mint(site, "hs", name, groups=["editors"]), jar=jar)
    assert_signed_in(site, r, jar, name, "/private/", "sso with a mapped role", ua=ua)
    _, token, _ = out_token(site, jar, "app")
    _, body = verify_with_pyjwt(site, token, APP_AUDIENCE)
    check(sorted(body["roles"]) == ["admin", "editor"],
          f"the session's roles (its own and the mapped): {body}")


@test("sso_out_token_verified_by_jose_against_jwks", kind=KIND)
def sso_out_token_verified_by_jose_against_jwks(site):
    jose_available()
    name, password = site.new_user("outjose", roles=["admin"])
    jar = site.login(name, password)
    _, token, _ = out_token(site, jar, "app")
    out = json.loads(jose("verify", {
        "jwks": published(site), "token": token, "audience": APP_AUDIENCE,
        "issuer": site.stack.settings["sso"]["issuer"], "algorithms": ["ES256", "RS256"]}))
    check(out["payload"]["sub"] == name and out["payload"]["roles"] == ["admin"],
          f"jose: the verified claims: {out}")
    check(out["header"]["kid"] in {k["kid"] for k in published(site)["keys"]},
          f"jose: the kid: {out}")


@site_kind("sso_rs256")
def sso_rs256_site(folder, server):
    """A site whose signing key is RS256 (gatehousectl keys generate --alg
    RS256), with the outbound partner app."""
    return fixtures.Site(folder, server, "sso_rs256", signing_alg="RS256",
                         settings=fixtures.stack.merge_settings(FAST_HASHING, {
                             "partner app": {"sso_url": APP_URL,
                                             "out_audience": APP_AUDIENCE}}))


@test("sso_out_rs256_token_verified_by_pyjwt_and_jose", kind="sso_rs256", servers=("lighttpd",))
def sso_out_rs256_token_verified_by_pyjwt_and_jose(site):
    keys = published(site)["keys"]
    check([k["alg"] for k in keys] == ["RS256"] and keys[0]["kty"] == "RSA",
          f"the published keys of an RS256 site: {keys}")
    name, password = site.new_user("outrs", roles=["admin"])
    jar = site.login(name, password)
    _, token, _ = out_token(site, jar, "app")
    header, body = verify_with_pyjwt(site, token, APP_AUDIENCE)
    check_out_claims(site, body, header, name, None, ["admin"], APP_AUDIENCE, "RS256")
    env = whoami(site, jar)
    check(env and env.get("GATEHOUSE_USER") == name, "the session after sso out")
    jose_available()
    out = json.loads(jose("verify", {
        "jwks": published(site), "token": token, "audience": APP_AUDIENCE,
        "issuer": site.stack.settings["sso"]["issuer"], "algorithms": ["RS256"]}))
    check(out["payload"]["sub"] == name, f"jose: {out}")
