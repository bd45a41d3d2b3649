"""scripts/deps.sh installs by purpose: the demo (scripts/demo.sh) gets the
build's packages, spawn-fcgi and the one web server it starts, never a
database server, a browser, clang, PHP or another test tool (Debian starts
MariaDB and PostgreSQL when it installs them); the tests get everything.
Checked on the lists `scripts/deps.sh --print PURPOSE` gives, which is
what a run of that purpose checks with dpkg-query and installs when
missing (--print installs nothing and needs no root)."""

import subprocess
from pathlib import Path

from harness import check, test

DEPS = Path(__file__).resolve().parents[2] / "scripts" / "deps.sh"

# Never for the demo: servers Debian starts on install, and what only the
# tests, the sanitizer and fuzz builds, the browser tests and bench/ use.
TEST_ONLY = ("mariadb-server", "postgresql", "chromium", "clang", "libclang-rt-14-dev", "clang-format",
             "php-cli", "apache2-utils", "wrk", "nodejs", "npm", "lighttpd-mod-openssl",
             "man-db", "groff-base", "curl", "sqlite3", "fail2ban", "python3-jwt",
             "python3-cryptography")
# Debian packages of each web server of the demo (scripts/demo.sh --apache...).
SERVER_PACKAGES = {
    "lighttpd": ("lighttpd",),
    "apache": ("apache2",),
    "nginx": ("nginx-light", "fcgiwrap"),
}
# The build's own, which every purpose has: the drivers of configure.ac are
# built whenever their headers are there, so the demo's build has them too.
BUILD = ("build-essential", "autoconf", "libfcgi-dev", "libsqlite3-dev",
         "default-libmysqlclient-dev", "libpq-dev")


def packages(*args):
    """The package list of scripts/deps.sh --print ARGS, and its output."""
    r = subprocess.run(["bash", str(DEPS), "--print", *args], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=30)
    what = f"scripts/deps.sh --print {' '.join(args)}: exit {r.returncode}\n{r.stdout}{r.stderr}"
    check(r.returncode == 0, "deps.sh --print failed", what)
    return r.stdout.split(), what


# deps.sh does not depend on the site: once, on the cheapest pass.
@test("deps_demo_installs_only_build_and_its_web_server", databases=("sqlite",),
      servers=("lighttpd",))
def deps_demo_installs_only_build_and_its_web_server(site):
    default, _ = packages("demo")
    lighttpd, _ = packages("demo", "lighttpd")
    check(default == lighttpd, "deps.sh demo without a server is not the lighttpd demo",
          f"{default}\n{lighttpd}")
    for server, own in SERVER_PACKAGES.items():
        pkgs, what = packages("demo", server)
        for p in (*BUILD, "spawn-fcgi", "python3", *own):
            check(p in pkgs, f"the {server} demo lacks {p}", what)
        for p in TEST_ONLY:
            check(p not in pkgs, f"the {server} demo would install {p}", what)
        others = {p for s, ps in SERVER_PACKAGES.items() if s != server for p in ps}
        check(not others & set(pkgs),
              f"the {server} demo would install another web server: {others & set(pkgs)}",
              what)


@test("deps_test_installs_everything", databases=("sqlite",), servers=("lighttpd",))
def deps_test_installs_everything(site):
    everything, what = packages("test")
    default, _ = packages()
    check(default == everything, "deps.sh without a purpose is not deps.sh test",
          f"{default}\n{everything}")
    for server in SERVER_PACKAGES:
        demo, _ = packages("demo", server)
        check(set(demo) <= set(everything),
              f"the {server} demo has packages the tests lack: {set(demo) - set(everything)}",
              what)
    # nodejs and npm only when node or npm is missing (NodeSource's node).
    for p in TEST_ONLY:
        if p not in ("nodejs", "npm"):
            check(p in everything, f"the tests lack {p}", what)
    build, _ = packages("build")
    check(set(build) <= set(everything) and "spawn-fcgi" not in build
          and "lighttpd" not in build, "deps.sh build is not the build's packages alone",
          f"{build}")
    r = subprocess.run(["bash", str(DEPS), "--print", "demo", "caddy"], capture_output=True,
                       text=True, stdin=subprocess.DEVNULL, timeout=30)
    check(r.returncode == 2 and "usage" in r.stderr, "an unknown web server is not refused",
          f"exit {r.returncode}\n{r.stdout}{r.stderr}")
