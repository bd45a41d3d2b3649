"""The responders never run with root's identity (gatehouse-login(8)):
started with user ID 0, or group ID 0 (also as a supplementary group), each
refuses before it reads anything, its configuration, its database or a
request on its socket, with status 1 and a message that says how to start
it; --help is still answered.  deploy/stack.py, started as root, runs them
as the system account gatehouse (spawn-fcgi -u/-g), which owns the SQLite
database's folder although gatehousectl writes to it as root."""

import os
import socket
import subprocess
import tempfile
from pathlib import Path

from fixtures import stack as launcher
from harness import check, skip, test

RESPONDERS = launcher.RESPONDERS  # deploy/stack.py's list
START_WAIT = 5  # seconds; a refusal takes milliseconds


def proc_ids(pid):
    """{"Uid": [real, effective, saved, fs], "Gid": [...], "Groups": [...]}
    of process pid, from /proc/PID/status."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("Uid", "Gid", "Groups"):
                out[key] = [int(v) for v in value.split()]
    return out


def start_as(prog, config, **ids):
    """Runs prog --config config as spawn-fcgi would, with a listening Unix
    socket as fd 0 and a client already waiting on it, under ids (Popen's
    user, group, extra_groups; none: as we are).  Returns (exit status, or
    None when it still ran after START_WAIT seconds and was killed; standard
    error; whether the waiting connection was ever accepted)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "responder.sock")
        with socket.socket(socket.AF_UNIX) as listener, socket.socket(socket.AF_UNIX) as client:
            listener.bind(path)
            listener.listen(8)
            client.connect(path)
            try:
                proc = subprocess.run([str(prog), "--config", str(config)],
                                      stdin=listener.fileno(), capture_output=True, text=True,
                                      timeout=START_WAIT, cwd="/", **ids)
                status, err = proc.returncode, proc.stderr
            except subprocess.TimeoutExpired as e:  # killed
                text = e.stderr.decode(errors="replace") if e.stderr else ""
                status, err = None, f"still running after {START_WAIT} s\n{text}"
            # Accepted, the connection was closed at the exit (end of file);
            # never accepted, it still waits in the listener's backlog.
            client.setblocking(False)
            try:
                accepted = client.recv(1) == b""
            except BlockingIOError:
                accepted = False
            except ConnectionResetError:
                accepted = True
    return status, err, accepted


# Does not depend on the web server or the database: once.
@test("responders_refuse_root_before_reading_anything", databases=("sqlite",),
      servers=("lighttpd",))
def responders_refuse_root_before_reading_anything(site):
    stack = site.stack
    if os.geteuid() != 0:
        skip("not run as root, so a responder cannot be started with root's user ID")
    account = stack.system_account
    missing = stack.state_dir / "missing.conf"
    # As root; in group root as the responders' user; with root among the
    # supplementary groups.  Against the site's configuration and against a
    # missing one, which a responder that read it first would name.
    cases = (("as root", {}, "as root (user ID 0)"),
             ("with group ID 0", {"user": account.uid, "group": 0, "extra_groups": []},
              "in group root (group ID 0)"),
             ("with supplementary group 0",
              {"user": account.uid, "group": account.gid, "extra_groups": [0]},
              "in group root (group ID 0)"))
    for name in RESPONDERS:
        # What the stack runs: the build's, or copies where the account
        # reaches them (a clone in a closed folder).
        prog = stack.responder_bin_dir / f"gatehouse-{name}"
        for how, ids, refusal in cases:
            for config in (stack.config_path, missing):
                status, err, accepted = start_as(prog, config, **ids)
                what = f"gatehouse-{name} --config {config} {how}"
                check(status == 1, f"{what}: exit status {status}, expected 1:\n{err}")
                check(f"gatehouse-{name}: refusing to run {refusal}; start it under its own "
                      "account" in err, f"{what}: no refusal on standard error:\n{err}")
                check(str(config) not in err,
                      f"{what}: read its configuration before refusing:\n{err}")
                check(not accepted, f"{what}: accepted a connection before refusing")
        # The control: the responders' own ids get past the refusal (and
        # stop at the missing configuration).
        status, err, _ = start_as(prog, missing, user=account.uid, group=account.gid,
                                  extra_groups=[])
        check(status == 1 and "refusing" not in err and str(missing) in err,
              f"gatehouse-{name} as {account.user}: expected it to name {missing} "
              f"(status {status}):\n{err}")
        r = subprocess.run([str(prog), "--help"], capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=10)
        check(r.returncode == 0 and r.stdout.startswith(f"usage: gatehouse-{name}"),
              f"gatehouse-{name} --help as root: status {r.returncode}, expected 0 and the "
              f"usage:\n{r.stdout}{r.stderr}")


@test("responders_run_unprivileged")
def responders_run_unprivileged(site):
    stack = site.stack
    account = stack.system_account
    for name, proc in stack.responders.items():
        check(proc.poll() is None, f"gatehouse-{name} is not running")
        exe = os.readlink(f"/proc/{proc.pid}/exe")
        check(Path(exe).name == f"gatehouse-{name}",
              f"process {proc.pid} is {exe}, not gatehouse-{name}")
        ids = proc_ids(proc.pid)
        what = f"gatehouse-{name} (pid {proc.pid}): {ids}"
        check(0 not in ids["Uid"], f"{what}: runs as root")
        check(0 not in ids["Gid"] + ids["Groups"], f"{what}: runs in group root")
        if account is None:
            check(ids["Uid"][1] == os.geteuid(), f"{what}: expected our own user ID")
        else:
            check(set(ids["Uid"]) == {account.uid} and set(ids["Gid"]) == {account.gid},
                  f"{what}: expected {account.user} ({account.uid}:{account.gid})")
    if account is not None and stack.database is None:
        # gatehousectl ran as root on the database while the responders
        # had it open (the site's users): the folder and every file in it
        # (-wal, -shm) must still be the responders' own.
        for path in [stack.db_dir, *stack.db_dir.iterdir()]:
            st = path.stat()
            check((st.st_uid, st.st_gid) == (account.uid, account.gid),
                  f"{path} belongs to {st.st_uid}:{st.st_gid}, expected {account.user}")
