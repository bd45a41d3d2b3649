"""Only the web server may talk to the responders (design §9: libfcgi's
parser is not safe against hostile input; a local user who reaches the
login responder can forge REMOTE_ADDR or HTTPS).  Each listens on a Unix
socket of mode 0660 owned by the web server workers' user and group, with
no TCP socket at all; the one exception is the check under Apache, whose
mod_authnz_fcgi speaks TCP only: it listens on loopback alone."""

import os
import pwd
import socket
import stat

from harness import check, test

TCP_LISTEN = "0A"  # st of a listening socket in /proc/net/tcp


def socket_inodes(pid):
    """The inodes of the sockets process pid holds open."""
    inodes = set()
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(f"{fd_dir}/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    return inodes


def tcp_listeners():
    """{inode: "address:port"} of every listening TCP socket (IPv4, IPv6)."""
    out = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            next(f)
            for line in f:
                fields = line.split()
                if fields[3] == TCP_LISTEN:
                    out[fields[9]] = fields[1]
    return out


def unix_paths():
    """{inode: path} of every bound Unix socket."""
    out = {}
    with open("/proc/net/unix") as f:
        next(f)
        for line in f:
            fields = line.split()
            if len(fields) >= 8:
                out[fields[6]] = fields[7]
    return out


def connect_as(user, path):
    """Whether user may connect to the Unix socket path: a forked child
    takes that user's ids (and no supplementary group) and tries."""
    pw = pwd.getpwnam(user)
    pid = os.fork()
    if pid == 0:
        code = 2
        try:
            os.setgroups([])
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(str(path))
            code = 0
        except PermissionError:
            code = 13
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    check(code in (0, 13), f"connecting to {path} as {user}: child exit {code}")
    return code == 0


@test("responders_on_unix_sockets_0660_no_tcp")
def responders_on_unix_sockets_0660_no_tcp(site):
    stack = site.stack
    tcp = tcp_listeners()
    unix = unix_paths()
    expected_tcp = {"apache": {"check"}}.get(stack.server, set())
    check(set(stack.responder_ports) == expected_tcp,
          f"responders on TCP: {sorted(stack.responder_ports)}, expected {sorted(expected_tcp)}")
    for name, proc in stack.responders.items():
        inodes = socket_inodes(proc.pid)
        on_tcp = sorted(tcp[i] for i in inodes if i in tcp)
        if name in expected_tcp:
            # 0100007F: 127.0.0.1 as /proc/net/tcp writes it.
            check(on_tcp and all(a.startswith("0100007F:") for a in on_tcp),
                  f"gatehouse-{name} should listen on loopback TCP only: {on_tcp}")
            continue
        check(not on_tcp, f"gatehouse-{name} listens on TCP: {on_tcp}")
        path = stack.responder_sockets[name]
        check(str(path) in {unix.get(i) for i in inodes},
              f"gatehouse-{name} does not listen on {path}")
        st = os.lstat(path)
        check(stat.S_ISSOCK(st.st_mode), f"{path} is not a socket")
        check(stat.S_IMODE(st.st_mode) == 0o660,
              f"{path}: mode {stat.S_IMODE(st.st_mode):o}, expected 660")
        if os.geteuid() == 0:
            user, group = stack._run_user()
            check(st.st_uid == pwd.getpwnam(user).pw_uid,
                  f"{path} belongs to uid {st.st_uid}, expected {user}")
            check(connect_as(user, path), f"{user} cannot connect to {path}")
            check(not connect_as("nobody", path), f"nobody can connect to {path}")
