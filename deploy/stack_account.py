"""The system account the responders run as when the stack is started as
root (they refuse root), and what that account and the web server's workers
can reach: deploy/stack.py's part on users and file modes.  Python standard
library only."""

import grp
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from stack_base import StackError

# The responders refuse to run as root (gatehouse-login(8)): started as
# root, they run as this system account and its group, as the units in
# deploy/ do on a server; scripts/deps.sh creates it.  Not www-data: the
# web server's workers must not share the responders' files.
RESPONDER_USER = "gatehouse"


@dataclass
class SystemAccount:
    """A system account a process runs as."""
    user: str
    group: str
    uid: int
    gid: int
    home: str


def responder_system_account():
    """The SystemAccount the responders run as when we are root
    (RESPONDER_USER), or None when we are not (they then run as we do).
    StackError when we are root and the account is missing."""
    if os.geteuid() != 0:
        return None
    try:
        pw = pwd.getpwnam(RESPONDER_USER)
    except KeyError:
        raise StackError(f"the responders refuse to run as root, and the system account "
                         f"{RESPONDER_USER!r} they run as instead is missing: run "
                         "scripts/deps.sh as root, which creates it") from None
    return SystemAccount(pw.pw_name, grp.getgrgid(pw.pw_gid).gr_name, pw.pw_uid, pw.pw_gid,
                         pw.pw_dir)


def spawn_fcgi_user_args():
    """spawn-fcgi's options that drop a responder (or the benchmark's null
    authorizer, for a fair comparison) to responder_system_account(): none
    when we are not root."""
    account = responder_system_account()
    return [] if account is None else ["-u", account.user, "-g", account.group]


def unreachable_by(account, paths):
    """The first of paths that account cannot read (a folder: list and
    pass), or None: asked of a child process with the account's user and
    groups, as spawn-fcgi -u sets them."""
    script = 'for p; do [ -r "$p" ] && { [ ! -d "$p" ] || [ -x "$p" ]; } || ' \
             '{ printf "%s" "$p"; exit 1; }; done'
    proc = subprocess.run(["sh", "-c", script, "sh", *map(str, paths)], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, cwd="/", user=account.uid,
                          group=account.gid,
                          extra_groups=os.getgrouplist(account.user, account.gid))
    if proc.returncode == 0:
        return None
    return proc.stdout or f"(sh: exit {proc.returncode}: {proc.stderr.strip()})"


def _closed_folder(path):
    """The first folder of path and those above it that others may not
    pass (no o+x), or None when every one lets them through."""
    for folder in [Path(path), *Path(path).parents]:
        if folder.is_dir() and not folder.stat().st_mode & 0o001:
            return folder
    return None


def _check_reachable_by_others(path, who):
    """The web server's workers run as another user: every folder above
    path must let others pass (o+x), or the sockets in run/, the site and
    the style sheet are out of their reach."""
    folder = _closed_folder(path)
    if folder is not None:
        raise StackError(f"{folder} is not searchable by others (chmod o+x), so "
                         f"{who}'s workers cannot reach {path}")


def copy_for_others(src, dest):
    """A fresh copy of the folder src at dest (an old one is removed), every
    folder 0755 and every file 0644, or 0755 when src's has an execute bit
    (CGI scripts): what any user may read.  Symbolic links are copied as
    links."""
    dest = Path(dest)
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(src, dest, symlinks=True)
    for path in [dest, *dest.rglob("*")]:
        if path.is_symlink():
            continue
        if path.is_dir():
            os.chmod(path, 0o755)
        else:
            os.chmod(path, 0o755 if path.stat().st_mode & 0o111 else 0o644)
