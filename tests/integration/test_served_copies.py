"""Where the sources sit does not matter: deploy/stack.py serves copies of
the site and of Gatehouse's static folder, and keeps its sockets, where the
web server's workers (www-data under Apache and nginx started as root) can
reach them.  The site here has its document root and its state folder in a
folder of mode 0700, as a clone in a home folder has; as root, 0710 in the
group of the responders' account (deploy/stack.py
responder_system_account()), which the responders, who refuse to run as
root, must pass to reach the state folder, and the workers may not.

As root, the responders' account need not reach the programs and the
templates where they are built either (a clone in /root or in mktemp -d):
they then run copies."""

import os
import shutil
from pathlib import Path

import fixtures
from harness import check, site_kind, skip, test

RESPONDER_PROGRAMS = tuple(f"gatehouse-{name}" for name in fixtures.stack.RESPONDERS)


@site_kind("closed_folder")
def closed_folder_site(folder, server):
    closed = Path(folder) / "closed"
    closed.mkdir(mode=0o700)
    os.chmod(closed, 0o700)
    account = fixtures.stack.responder_system_account()
    if account is not None:
        os.chown(closed, -1, account.gid)
        os.chmod(closed, 0o710)
    shutil.copytree(fixtures.stack.SITE_DIR, closed / "site")
    # State in closed/state: its parent lets no other user through.
    return fixtures.Site(closed, server, "main", site_dir=closed / "site")


@test("site_in_closed_folder_served", kind="closed_folder", servers=("apache", "nginx"))
def site_in_closed_folder_served(site):
    stack = site.stack
    closed = stack.state_dir.parent
    check(not closed.stat().st_mode & 0o007, f"{closed} should be closed to others")
    for path in (stack.site_dir, stack.static_dir, stack.run_dir):
        check(closed not in path.parents,
              f"{path} is inside {closed}, out of reach of the workers")
    r = site.get("/")
    check(r.status == 200 and "Gatehouse demo" in r.text, "GET /: expected the public page", r)
    r = site.get("/auth/static/gatehouse.css")
    check(r.status == 200, "GET /auth/static/gatehouse.css: expected 200", r)
    name, password = site.new_user()
    jar = site.login(name, password)
    r = site.get("/private/", jar=jar)
    check(r.status == 200, "GET /private/ with a session: expected 200", r)
    r = site.get("/cgi-bin/whoami.cgi", jar=jar)
    check(r.status == 200 and name in r.text, "GET /cgi-bin/whoami.cgi: expected 200 naming "
          f"{name}", r)


@test("served_copies_readable_by_others", servers=("apache", "nginx"))
def served_copies_readable_by_others(site):
    stack = site.stack
    for top in (stack.site_dir, stack.static_dir):
        for path in [top, *top.rglob("*")]:
            mode = path.stat().st_mode
            want = 0o005 if path.is_dir() else 0o004
            check(mode & want == want, f"{path} (mode {mode & 0o7777:o}) is not open to others")


@site_kind("closed_programs")
def closed_programs_site(folder, server):
    """The programs and the templates in a folder of mode 0700."""
    clone = Path(folder) / "clone"
    clone.mkdir(mode=0o700)
    os.chmod(clone, 0o700)
    (clone / "build").mkdir()
    for name in (*RESPONDER_PROGRAMS, "gatehousectl"):
        shutil.copy2(fixtures.stack.BUILD_DIR / name, clone / "build" / name)
    shutil.copytree(fixtures.stack.SRC_DIR / "templates", clone / "templates")
    return fixtures.Site(Path(folder) / "site", server, "main", build_dir=clone / "build",
                         settings={"general": {"templates_dir": clone / "templates"}})


@test("programs_in_closed_folder_run", kind="closed_programs", servers=("lighttpd",))
def programs_in_closed_folder_run(site):
    stack = site.stack
    if stack.system_account is None:
        skip("not root: the responders run as we do, who reach the programs")
    clone = stack.build_dir.parent
    check(clone in stack.build_dir.parents and not clone.stat().st_mode & 0o077,
          f"{clone} should be mode 0700")
    for name in RESPONDER_PROGRAMS:
        pid = stack.responders[name.split("-")[1]].pid
        exe = Path(os.readlink(f"/proc/{pid}/exe"))
        check(clone not in exe.parents, f"{name} runs {exe}, inside {clone}")
    r = site.get("/auth/login")
    check(r.status == 200 and "<form" in r.text, "GET /auth/login: expected the form", r)
    name, password = site.new_user()
    jar = site.login(name, password)
    r = site.get("/private/", jar=jar)
    check(r.status == 200, "GET /private/ with a session: expected 200", r)
