"""gatehousectl keys: Gatehouse's own signing keys in [sso] keys_dir
(common/signkey.c, cli/ctl_keys.c).  A key is made, listed, rotated and
retired as an administrator would; list shows when each key was made and
until when it stays published, never key material; every change writes
the public keys file beside the folder (what gatehouse-check reads), and
keys publish writes it alone; a usage error is exit 2 and touches no
folder.

gatehousectl runs here with configurations of its own, each with a keys
folder of its own; the web server and the database play no part, so these
run once, under lighttpd on SQLite."""

import calendar
import json
import os
import re
import stat
import subprocess
import time

from fixtures import stack
from harness import check, test

SECRET = "x" * 40
KID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{8}$")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
# How long a rotated key stays published: the longest lifetime of a token
# Gatehouse signs, [sso] out_lifetime and [token] access_lifetime, both set.
LIFETIME = 60


def keys_config(site, name):
    """A configuration whose [sso] keys_dir is a folder not made yet; the
    paths of both."""
    folder = site.stack.state_dir.parent / "ctl-keys" / name
    folder.mkdir(parents=True)
    keys = folder / "keys"
    path = folder / "gatehouse.conf"
    path.write_text("[general]\n"
                    f"sql_dir = {stack.SRC_DIR / 'sql'}\n"
                    f"secret = {SECRET}\n"
                    "[database]\n"
                    f"url = sqlite://{folder / 'gatehouse.db'}\n"
                    "[sso]\n"
                    f"keys_dir = {keys}\n"
                    f"out_lifetime = {LIFETIME}s\n"
                    "[token]\n"
                    f"access_lifetime = {LIFETIME}s\n")
    return path, keys


def ctl(site, config, *args):
    """gatehousectl --config config ARGS; the CompletedProcess."""
    return subprocess.run([str(site.stack.program("gatehousectl")), "--config", str(config),
                           *args], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=120)


def said(proc):
    """The exit status and output of proc, for a message."""
    return f"exit {proc.returncode}:\n{proc.stdout}{proc.stderr}"


def listed(site, config):
    """keys list as (kid, alg, state, created, until) rows, checked for
    form and for key material."""
    proc = ctl(site, config, "keys", "list")
    check(proc.returncode == 0, f"keys list: expected exit 0, got {said(proc)}")
    check("BEGIN" not in proc.stdout + proc.stderr and "PRIVATE" not in proc.stdout,
          f"keys list printed key material:\n{proc.stdout}{proc.stderr}")
    rows = [tuple(line.split(" ")) for line in proc.stdout.splitlines()]
    for row in rows:
        check(len(row) == 5 and KID.match(row[0]) and row[1] in ("ES256", "RS256") and
              row[2] in ("active", "rotated", "expired") and ISO.match(row[3]) and
              (row[4] == "-" if row[2] == "active" else ISO.match(row[4])),
              f"keys list: a line not 'KID ALG STATE CREATED UNTIL': {' '.join(row)!r}")
    return rows


def published(keys):
    """The kids of the public keys file beside the folder keys ([sso]
    public_keys_file's default), checked for mode and for private parts;
    None when there is no file."""
    pub = keys.parent / f"{keys.name}.jwks"
    if not pub.exists():
        return None
    mode = stat.S_IMODE(os.lstat(pub).st_mode)
    check(stat.S_ISREG(os.lstat(pub).st_mode) and mode == 0o644,
          f"{pub}: expected a regular file of mode 0644 (public keys), got {oct(mode)}")
    doc = json.loads(pub.read_text())
    check(all("d" not in k and k.get("use") == "sig" for k in doc["keys"]),
          f"{pub}: a key with a private part or not for signatures: {doc}")
    leftovers = [p.name for p in keys.parent.iterdir() if p.name.startswith(f"{keys.name}.jwks.")]
    check(not leftovers, f"temporary files of the public keys file left: {leftovers}")
    return sorted(k["kid"] for k in doc["keys"])


def next_second(kid):
    """Waits until the clock is past the second kid was made in: a key made
    in the same second as another is refused (exit 4)."""
    made = calendar.timegm(time.strptime(kid[:16], "%Y%m%dT%H%M%SZ"))
    while time.time() < made + 1:
        time.sleep(0.05)


@test("ctl_keys_generate_rotate_retire", servers=("lighttpd",), databases=("sqlite",))
def ctl_keys_generate_rotate_retire(site):
    config, keys = keys_config(site, "lifecycle")

    proc = ctl(site, config, "keys", "rotate")
    check(proc.returncode == 3 and "use keys generate" in proc.stderr,
          f"keys rotate with no key: expected exit 3 and 'use keys generate', got {said(proc)}")
    proc = ctl(site, config, "keys", "list")
    check(proc.returncode == 3 and proc.stdout == "",
          f"keys list with no folder: expected exit 3 and nothing listed, got {said(proc)}")

    proc = ctl(site, config, "keys", "generate")
    check(proc.returncode == 0, f"keys generate: expected exit 0, got {said(proc)}")
    rows = listed(site, config)
    check(len(rows) == 1 and rows[0][1] == "ES256" and rows[0][2] == "active",
          f"after generate: expected one active ES256 key, got {rows}")
    first = rows[0][0]
    pem = keys / f"{first}.pem"
    check(f"{pem}" in proc.stdout and "restart gatehouse-sso" in proc.stdout,
          f"keys generate should say where the key is ({pem}) and to restart "
          f"gatehouse-sso:\n{proc.stdout}")
    check("BEGIN" not in proc.stdout + proc.stderr, "keys generate printed key material")
    mode = stat.S_IMODE(os.lstat(pem).st_mode)
    check(stat.S_ISREG(os.lstat(pem).st_mode) and mode == 0o600,
          f"{pem}: expected a regular file of mode 0600, got {oct(mode)}")
    check(stat.S_IMODE(os.stat(keys).st_mode) == 0o700,
          f"{keys}: expected the folder made with mode 0700")
    check(pem.read_text().startswith("-----BEGIN PRIVATE KEY-----\n"),
          f"{pem}: expected a PKCS#8 PEM private key")
    check(sorted(os.listdir(keys)) == [pem.name], f"{keys}: expected {pem.name} alone, got "
          f"{sorted(os.listdir(keys))} (a temporary file left?)")
    check(published(keys) == [first] and "public keys file" in proc.stdout and
          "gatehouse-check" in proc.stdout,
          f"keys generate: expected the public keys file with {first}, said so, and the "
          f"reminder to restart gatehouse-check too:\n{proc.stdout}")

    proc = ctl(site, config, "keys", "generate")
    check(proc.returncode == 4 and "use keys rotate" in proc.stderr,
          f"keys generate with a key there: expected exit 4 and 'use keys rotate', got "
          f"{said(proc)}")
    check(len(listed(site, config)) == 1, "a refused generate made a key")

    next_second(first)
    proc = ctl(site, config, "keys", "rotate", "--alg", "RS256")
    check(proc.returncode == 0, f"keys rotate --alg RS256: expected exit 0, got {said(proc)}")
    check(f"key {first} rotated: published until" in proc.stdout and
          "restart gatehouse-sso" in proc.stdout,
          f"keys rotate should say until when the old key is published and to restart "
          f"gatehouse-sso:\n{proc.stdout}")
    rows = listed(site, config)
    check(len(rows) == 2, f"after rotate: expected two keys, got {rows}")
    second = rows[0][0]
    check(rows[0][1:3] == ("RS256", "active") and rows[1][0] == first and
          rows[1][1:3] == ("ES256", "rotated"),
          f"after rotate: expected the new RS256 key active and {first} rotated, got {rows}")
    made = calendar.timegm(time.strptime(rows[0][3], "%Y-%m-%dT%H:%M:%SZ"))
    until = calendar.timegm(time.strptime(rows[1][4], "%Y-%m-%dT%H:%M:%SZ"))
    check(until - made == LIFETIME, f"the rotated key should be published until its "
          f"successor's creation + {LIFETIME}s, got {rows}")
    check(stat.S_IMODE(os.lstat(keys / f"{second}.pem").st_mode) == 0o600,
          f"{second}.pem: expected mode 0600")
    check(published(keys) == sorted([first, second]),
          f"after rotate: expected both keys in the public keys file, got {published(keys)}")

    # Without --alg, rotate keeps the active key's algorithm.
    next_second(second)
    proc = ctl(site, config, "keys", "rotate")
    check(proc.returncode == 0, f"keys rotate: expected exit 0, got {said(proc)}")
    rows = listed(site, config)
    check(len(rows) == 3 and rows[0][1:3] == ("RS256", "active") and
          [r[2] for r in rows[1:]] == ["rotated", "rotated"],
          f"after a second rotate: expected an RS256 key active and two rotated, got {rows}")
    third = rows[0][0]

    proc = ctl(site, config, "keys", "retire", third)
    check(proc.returncode == 1 and "active key" in proc.stderr,
          f"keys retire of the active key: expected exit 1, got {said(proc)}")
    proc = ctl(site, config, "keys", "retire", third, "--force")
    check(proc.returncode == 1 and (keys / f"{third}.pem").exists(),
          f"keys retire --force of the active key: expected exit 1, got {said(proc)}")
    proc = ctl(site, config, "keys", "retire", first)
    check(proc.returncode == 1 and "--force" in proc.stderr and (keys / f"{first}.pem").exists(),
          f"keys retire of a published key: expected exit 1 and the hint of --force, got "
          f"{said(proc)}")
    proc = ctl(site, config, "keys", "retire", "--force", first)
    check(proc.returncode == 0 and not (keys / f"{first}.pem").exists() and
          "restart gatehouse-sso" in proc.stdout,
          f"keys retire --force of a published key: expected exit 0 and its file gone, got "
          f"{said(proc)}")
    proc = ctl(site, config, "keys", "retire", first)
    check(proc.returncode == 3, f"keys retire of a key no more there: expected exit 3, got "
          f"{said(proc)}")
    rows = listed(site, config)
    check([r[0] for r in rows] == [third, second], f"after retire: expected {third} and "
          f"{second}, got {rows}")
    check(published(keys) == sorted([third, second]),
          f"after retire: expected {first} gone from the public keys file, got "
          f"{published(keys)}")

    # keys publish writes it anew, from the folder alone.
    pub = keys.parent / "keys.jwks"
    current = pub.read_text()
    pub.unlink()
    proc = ctl(site, config, "keys", "publish")
    check(proc.returncode == 0 and published(keys) == sorted([third, second]) and
          pub.read_text() == current,
          f"keys publish: expected exit 0 and the same two keys, got {said(proc)}")

    # gatehousectl check reads it as gatehouse-check does, and says when it
    # is not what the folder publishes (here: one key short).
    check(ctl(site, config, "init").returncode == 0, "init of the keys' configuration failed")
    proc = ctl(site, config, "check")
    check(proc.returncode == 0 and f"public keys file {pub}: 2 keys" in proc.stdout and
          "warning" not in proc.stdout,
          f"check: expected exit 0 and 'public keys file {pub}: 2 keys', got {said(proc)}")
    doc = json.loads(current)
    pub.write_text(json.dumps({"keys": doc["keys"][:1]}))
    proc = ctl(site, config, "check")
    check(proc.returncode == 0 and f"warning: {pub} is not what" in proc.stdout and
          "keys publish" in proc.stdout,
          f"check with a stale public keys file: expected the warning, got {said(proc)}")
    pub.write_text("not a JWKS document")
    proc = ctl(site, config, "check")
    check(proc.returncode == 1 and "[sso] public_keys_file" in proc.stdout and
          str(pub) in proc.stdout,
          f"check with a broken public keys file: expected exit 1 naming it, got {said(proc)}")


@test("ctl_keys_usage_error_touches_no_folder", servers=("lighttpd",), databases=("sqlite",))
def ctl_keys_usage_error_touches_no_folder(site):
    config, keys = keys_config(site, "usage")
    for args, message in [
            (("keys",), "usage: gatehousectl keys generate"),
            (("keys", "generate", "--alg"), "usage: gatehousectl keys generate"),
            (("keys", "generate", "--alg", "HS256"), "unknown algorithm HS256"),
            (("keys", "generate", "--algo", "ES256"), "usage: gatehousectl keys generate"),
            (("keys", "generate", "--alg", "ES256", "x"), "usage: gatehousectl keys generate"),
            (("keys", "rotate", "ES256"), "usage: gatehousectl keys rotate"),
            (("keys", "list", "all"), "usage: gatehousectl keys list"),
            (("keys", "publish", "now"), "usage: gatehousectl keys publish"),
            (("keys", "retire"), "usage: gatehousectl keys retire KID [--force]"),
            (("keys", "retire", "--force"), "usage: gatehousectl keys retire KID [--force]"),
            (("keys", "retire", "a", "b"), "usage: gatehousectl keys retire KID [--force]"),
            (("keys", "retire", "../secret"), "not a key id"),
            (("keys", "retire", "20261127T174500Z-0123ABCD"), "not a key id")]:
        proc = ctl(site, config, *args)
        check(proc.returncode == 2 and message in proc.stderr,
              f"gatehousectl {' '.join(args)}: expected exit 2 and {message!r}, got "
              f"{said(proc)}")
        check(not keys.exists() and published(keys) is None,
              f"gatehousectl {' '.join(args)}, a usage error, made {keys} or its public keys "
              f"file")
    proc = ctl(site, config, "--help")
    for line in ("  keys generate [--alg ES256|RS256]", "  keys list",
                 "  keys retire KID [--force]", "  keys publish"):
        check(line + "\n" in proc.stdout, f"--help should list {line.strip()!r}:\n{proc.stdout}")


@test("ctl_keys_refuse_a_folder_holding_another_file", servers=("lighttpd",),
      databases=("sqlite",))
def ctl_keys_refuse_a_folder_holding_another_file(site):
    config, keys = keys_config(site, "stray")
    proc = ctl(site, config, "keys", "generate", "--alg", "ES256")
    check(proc.returncode == 0, f"keys generate --alg ES256: expected exit 0, got {said(proc)}")
    stray = keys / "notes.txt"
    stray.write_text("not a key\n")
    for args in (("keys", "list"), ("keys", "rotate"), ("keys", "generate")):
        proc = ctl(site, config, *args)
        check(proc.returncode == 1 and str(stray) in proc.stderr,
              f"gatehousectl {' '.join(args)} with {stray} in the folder: expected exit 1 "
              f"naming it, got {said(proc)}")
    stray.unlink()
    (pem,) = keys.iterdir()
    pem.chmod(0o640)
    proc = ctl(site, config, "keys", "list")
    check(proc.returncode == 1 and str(pem) in proc.stderr and "chmod 600" in proc.stderr,
          f"keys list with a key readable by group: expected exit 1 naming {pem}, got "
          f"{said(proc)}")
    pem.chmod(0o600)
    check(len(listed(site, config)) == 1, "the key should load again at mode 0600")
