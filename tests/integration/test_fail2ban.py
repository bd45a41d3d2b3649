"""deploy/fail2ban/: the shipped filter, run by Debian's fail2ban-regex
against the lines gatehouse-login really wrote for real refused and
successful logins (and gatehouse-sso for refused grants and tokens,
gatehouse-check for refused Authorization headers): every refusal's line matched, with the client's
address; no other line (a success, the human-readable failure line, a
forged line inside a typed name or a user agent) matched.

lighttpd writes a responder's lines to its error log as they are (Apache
and nginx join and wrap them: the filter's documentation says to use
syslog there), so the test runs under lighttpd, on SQLite.  The logins come
from 127.0.0.2 (the whole of 127.0.0.0/8 is this machine), so that the
address the filter extracts is known to be the client's and not a
default.  The same messages in the shape syslog gives them (what the
journal holds with [general] log_syslog on) are matched too: the test
cannot read the machine's syslog without touching it."""

import http.client
import re
import shutil
import subprocess
import time
from pathlib import Path

from bearer_support import add_token, basic, bearer
from client import Client, CookieJar, form_field
from harness import check, test

ROOT = Path(__file__).resolve().parents[2]
FILTER = ROOT / "deploy" / "fail2ban" / "filter.d" / "gatehouse.conf"
JAIL = ROOT / "deploy" / "fail2ban" / "jail.d" / "gatehouse.conf"
SOURCE = "127.0.0.2"
FORGED = "203.0.113.66"


class FromClient(Client):
    """A Client whose connections come from SOURCE."""

    def _connect(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout,
                                          source_address=(SOURCE, 0))


def post_login(client, name, password):
    jar = CookieJar()
    r = client.get("/auth/login", jar=jar)
    check(r.status == 200, "GET /auth/login: expected 200", r)
    return client.post_form("/auth/login", {"username": name, "password": password,
                                            "csrf": form_field(r.text, "csrf")}, jar=jar)


def fail2ban_regex(tmp, log_lines, name):
    """Runs fail2ban-regex with the shipped filter on log_lines; returns
    (matched lines, missed lines, addresses)."""
    conf = tmp / "fail2ban"
    (conf / "filter.d").mkdir(parents=True, exist_ok=True)
    shutil.copy("/etc/fail2ban/filter.d/common.conf", conf / "filter.d" / "common.conf")
    shutil.copy(FILTER, conf / "filter.d" / "gatehouse.conf")
    log = tmp / f"{name}.log"
    log.write_text("".join(line + "\n" for line in log_lines))
    filt = str(conf / "filter.d" / "gatehouse.conf")
    runs = {}
    for what, args in (("matched", ["--print-all-matched"]), ("missed", ["--print-all-missed"]),
                       ("ips", ["--out", "ip"])):
        proc = subprocess.run(["fail2ban-regex", *args, str(log), filt], capture_output=True,
                              text=True, timeout=120)
        check(proc.returncode == 0, f"fail2ban-regex {' '.join(args)} failed: {proc.stderr}")
        runs[what] = proc.stdout

    def listed(text, title):
        part = text.split(f"|- {title} line(s):", 1)
        if len(part) < 2:
            return []
        lines = []
        for line in part[1].splitlines()[1:]:
            if line.startswith("`-"):
                break
            lines.append(line[3:] if line.startswith("|  ") else line)
        return lines

    return (listed(runs["matched"], "Matched"), listed(runs["missed"], "Missed"),
            [ip for ip in runs["ips"].split() if ip])


@test("fail2ban_filter_matches_every_refused_login", servers=("lighttpd",),
      databases=("sqlite",))
def fail2ban_filter_matches_every_refused_login(site):
    check(shutil.which("fail2ban-regex"), "fail2ban-regex is missing: scripts/deps.sh --test "
          "installs Debian's fail2ban")
    check(JAIL.exists(), f"{JAIL} is missing")
    name, password = site.new_user("banned")
    off, off_pw = site.new_user("bannedoff", disabled=True)
    client = FromClient(site.stack.port)
    # A forged fail2ban line typed as the name and sent as the user agent:
    # neither may reach the line the filter reads.
    forged = f"x client={FORGED} user=#00000000 reason=wrong_password"
    sly = FromClient(site.stack.port, user_agent=f"auth failure: client={FORGED}")
    refusals = [
        (client, name, password + "x", "wrong_password"),
        (client, "nobody-at-all", password, "unknown_user"),
        (client, off, off_pw, "inactive"),
        (sly, forged, password, "unknown_user"),
        (client, name, "", "wrong_password"),
    ]
    log_path = site.stack.log_dir / "lighttpd-error.log"
    start = log_path.stat().st_size if log_path.exists() else 0
    want = 0  # refused logins: an empty password may be refused as a field (400)
    for c, user, pw, _ in refusals:
        r = post_login(c, user, pw)
        check(r.status in (400, 401), f"login as {user!r}: expected a refusal", r)
        want += r.status == 401
    r = post_login(client, name, password)
    check(r.status == 303, "the right password: expected 303", r)
    deadline = time.monotonic() + 5  # the web server may write a moment later
    while True:
        with open(log_path, "rb") as f:
            f.seek(start)
            text = f.read().decode(errors="replace")
        lines = [line for line in text.splitlines() if "gatehouse-login:" in line]
        failures = [line for line in lines if "auth failure:" in line]
        if (len(failures) >= want and any("login success" in line for line in lines)) \
                or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    successes = [line for line in lines if "login success" in line]
    check(len(failures) == want and successes,
          f"expected {want} failure lines and a success line in {log_path}:\n" + "\n".join(lines))
    for line in failures:
        check(FORGED not in line and "x client" not in line,
              f"a forged value reached the failure line: {line}")
        check(re.search(rf"client={re.escape(SOURCE)} user=#[0-9a-f]{{8}} "
                        r"reason=(wrong_password|unknown_user|inactive)$", line),
              f"the failure line does not have its documented shape: {line}")

    tmp = site.stack.state_dir / "fail2ban-test"
    matched, missed, ips = fail2ban_regex(tmp, lines, "lighttpd")
    check(sorted(matched) == sorted(failures),
          "fail2ban-regex should match exactly the failure lines:\nmatched:\n" +
          "\n".join(matched) + "\nfailures:\n" + "\n".join(failures))
    for line in successes:
        check(line in missed, f"a success line was not left alone: {line}")
    check(ips == [SOURCE] * len(failures),
          f"the addresses extracted should be {SOURCE}, once per failure: {ips}")

    # The same messages as syslog hands them on (journal or auth.log).
    syslog = []
    for line in lines:
        message = line.split("FastCGI-stderr:gatehouse-login: ", 1)[1]
        syslog.append(f"Nov 27 13:20:16 gatehost gatehouse-login[4242]: {message}")
    matched, missed, ips = fail2ban_regex(tmp, syslog, "syslog")
    want_lines = [s for s in syslog if "auth failure:" in s]
    check(sorted(matched) == sorted(want_lines),
          "syslog shape: fail2ban-regex should match exactly the failure lines:\n" +
          "\n".join(matched))
    check(ips == [SOURCE] * len(want_lines), f"syslog shape: addresses {ips}")


def program_failure_lines(log_path, start, want, program="gatehouse-sso"):
    """program's lines of log_path from byte start on, once at least want
    of them are failure lines (or after 5 s)."""
    deadline = time.monotonic() + 5
    while True:
        with open(log_path, "rb") as f:
            f.seek(start)
            text = f.read().decode(errors="replace")
        lines = [line for line in text.splitlines() if f"{program}:" in line]
        if sum("auth failure:" in line for line in lines) >= want or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


def assert_failure_lines(site, log_path, start, program, expected):
    """program's lines of log_path from byte start on hold one failure line
    for each (what, shape) of expected, in order, each ending in
    "client=SOURCE " and shape (a regular expression); fail2ban-regex
    matches exactly those lines, and takes SOURCE from each."""
    lines = program_failure_lines(log_path, start, len(expected), program)
    failures = [line for line in lines if "auth failure:" in line]
    check(len(failures) == len(expected),
          f"expected {len(expected)} failure lines of {program}:\n" + "\n".join(lines))
    for line, (what, shape) in zip(failures, expected):
        check(re.search(rf"client={re.escape(SOURCE)} {shape}$", line),
              f"{what}: the failure line does not have its shape ({shape}): {line}")
    matched, missed, ips = fail2ban_regex(site.stack.state_dir / f"fail2ban-{program}", lines,
                                          program)
    check(sorted(matched) == sorted(failures),
          f"fail2ban-regex should match exactly {program}'s failure lines:\nmatched:\n" +
          "\n".join(matched) + "\nlines:\n" + "\n".join(lines))
    check(ips == [SOURCE] * len(failures), f"the addresses extracted: {ips}")


@test("fail2ban_filter_matches_refused_tokens", servers=("lighttpd",), databases=("sqlite",))
def fail2ban_filter_matches_refused_tokens(site):
    """gatehouse-sso's refusals (the token API's password and refresh
    grants, a partner's token) are matched as the login's are, with the
    client's address; its successes are not."""
    name, password = site.new_user("bannedapi")
    client = FromClient(site.stack.port)
    log_path = site.stack.log_dir / "lighttpd-error.log"
    start = log_path.stat().st_size if log_path.exists() else 0
    token = "/auth/token"
    refusals = [
        (token, {"grant_type": "password", "username": name, "password": password + "x"},
         400, r"user=#[0-9a-f]{8} reason=wrong_password"),
        (token, {"grant_type": "refresh_token", "refresh_token": "ghrt_" + "A" * 43},
         400, r"user=- reason=bad_refresh_token"),
        ("/auth/sso", {"token": "not.a.token"}, 403, r"user=- reason=sso_refused"),
    ]
    for path, fields, status, _ in refusals:
        r = client.post_form(path, fields)
        check(r.status == status, f"POST {path}: expected {status}", r)
    r = client.post_form(token, {"grant_type": "password", "username": name,
                                 "password": password})
    check(r.status == 200, "the token API's password grant with the right password: 200", r)
    assert_failure_lines(site, log_path, start, "gatehouse-sso",
                         [(f"POST {path}", shape) for path, _, _, shape in refusals])


@test("fail2ban_filter_matches_refused_credentials_at_the_check", servers=("lighttpd",),
      databases=("sqlite",))
def fail2ban_filter_matches_refused_credentials_at_the_check(site):
    """gatehouse-check's refused Authorization headers (an access token, a
    personal access token as Bearer and as Basic's password, a header of
    no known form) are matched with the client's address; a granted token
    and a request without the header (an anonymous visitor, sent to the
    login page) write no such line."""
    name, password = site.new_user("bannedcheck")
    pat = add_token(site, name)
    client = FromClient(site.stack.port)
    log_path = site.stack.log_dir / "lighttpd-error.log"
    start = log_path.stat().st_size if log_path.exists() else 0
    refusals = [
        (bearer("eyJhbGciOiJFUzI1NiJ9.e30.c2ln"), "bad_access_token"),
        (bearer("ghpat_" + "A" * 43), "bad_personal_token"),
        (basic(name, password), "bad_basic_credential"),
        ({"Authorization": "Bearer"}, "malformed_credential"),
    ]
    for headers, _ in refusals:
        r = client.get("/private/", headers=headers)
        check(r.status == 401, f"GET /private/ with {headers}: expected 401", r)
    r = client.get("/private/", headers=bearer(pat))
    check(r.status == 200, "GET /private/ with the user's personal access token: 200", r)
    r = client.get("/private/")
    check(r.status == 302, "GET /private/ without a cookie or a header: 302 to the login", r)
    assert_failure_lines(site, log_path, start, "gatehouse-check",
                         [(str(headers), rf"user=- reason={reason}")
                          for headers, reason in refusals])
