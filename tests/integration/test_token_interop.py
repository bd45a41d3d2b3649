"""The token API's access tokens as other JWT implementations read them:
a resource server that trusts Gatehouse verifies an access token with
the keys of /auth/jwks.json, the audience and the issuer, using PyJWT
(python3-jwt: test_token_api.py does so for every token it checks) or the
npm package jose (tests/interop/jwt.mjs).  On a site of its own, whose
signing key is RS256 and whose [token] sets audience and access_lifetime,
the tokens follow: RS256, that aud, that lifetime in expires_in and exp.

Under lighttpd alone, on SQLite: the web server plays no part in signing."""

import json

import fixtures
from fixtures import FAST_HASHING
from harness import TestFailure, check, site_kind, test
from sso_support import jose, jose_available
from token_support import (access_claims, add_user, assert_bearer_granted, grant_password,
                           published, unverified_claims, user_id)

LIGHTTPD = ("lighttpd",)
API_AUDIENCE = "https://api.gatehouse.test"  # the RS256 site's [token] audience
API_LIFETIME = 600                          # and its access_lifetime, seconds


def jose_verify(site, token, audience, algorithms):
    """The {"header", "payload"} of token as jose verifies it against
    /auth/jwks.json, with audience and the site's issuer."""
    return json.loads(jose("verify", {
        "jwks": published(site), "token": token, "audience": audience,
        "issuer": site.stack.settings["sso"]["issuer"], "algorithms": algorithms}))


@test("token_access_token_verified_by_jose_against_jwks", servers=LIGHTTPD,
      databases=("sqlite",))
def token_access_token_verified_by_jose_against_jwks(site):
    jose_available()
    name, password, email = add_user(site, "tokjose", email=True, roles=("admin",))
    pair = grant_password(site, name, password)
    issuer = site.stack.settings["sso"]["issuer"]
    out = jose_verify(site, pair.access, issuer, ["ES256", "RS256"])
    payload = out["payload"]
    check(payload.get("sub") == name and payload.get("uid") == user_id(site, name) and
          payload.get("email") == email and payload.get("roles") == ["admin"] and
          payload.get("iss") == issuer and payload.get("aud") == issuer,
          f"jose: the verified claims of {name}'s access token: {out}")
    check(out["header"]["alg"] == "ES256" and
          out["header"]["kid"] in {k["kid"] for k in published(site)["keys"]},
          f"jose: the header should name ES256 and a published kid: {out['header']}")
    # jose, like PyJWT, takes the token for no other audience.
    try:
        jose_verify(site, pair.access, "https://other.example", ["ES256", "RS256"])
        verified = True
    except TestFailure:  # jwt.mjs exits 1: the audience is refused
        verified = False
    check(not verified, "jose verified the access token for another audience")


@site_kind("token_rs256")
def token_rs256_site(folder, server):
    """A site whose signing key is RS256 and whose access tokens name an
    audience of their own and live API_LIFETIME seconds."""
    return fixtures.Site(folder, server, "token_rs256", signing_alg="RS256",
                         settings=fixtures.stack.merge_settings(FAST_HASHING, {
                             "token": {"audience": API_AUDIENCE,
                                       "access_lifetime": f"{API_LIFETIME}s"}}))


@test("token_rs256_key_and_configured_audience", kind="token_rs256", servers=LIGHTTPD)
def token_rs256_key_and_configured_audience(site):
    name, password, _ = add_user(site, "tokrs")
    # expires_in: [token] access_lifetime.
    pair = grant_password(site, name, password, lifetime=API_LIFETIME)
    header, claims = access_claims(site, pair.access, audience=API_AUDIENCE,
                                   what="an access token of the RS256 site")
    check(header["alg"] == "RS256", f"the site's key is RS256: {header}")
    check(claims["aud"] == API_AUDIENCE and claims["sub"] == name and
          claims["exp"] == claims["iat"] + API_LIFETIME,
          f"aud should be {API_AUDIENCE} ([token] audience) and exp iat + {API_LIFETIME}: "
          f"{claims}")
    assert_bearer_granted(site, pair.access, name, "an access token of the RS256 site")
    jose_available()
    out = jose_verify(site, pair.access, API_AUDIENCE, ["RS256"])
    check(out["payload"]["sub"] == name and
          out["payload"]["jti"] == unverified_claims(pair.access)["jti"],
          f"jose: the verified claims of the RS256 token: {out}")
