"""What the parts of deploy/stack.py share: where things are, the names of
the web servers and responders, the error a failed start raises, and how
gatehouse.conf and secret files are written.  Python standard library only."""

import os
from pathlib import Path

SRC_DIR = Path(__file__).resolve().parent.parent
DEPLOY_DIR = SRC_DIR / "deploy"
SITE_DIR = DEPLOY_DIR / "demo-site"
# A relative GATEHOUSE_BUILD_DIR (e.g. build-asan) is one in the source tree.
BUILD_DIR = SRC_DIR / os.environ.get("GATEHOUSE_BUILD_DIR", "build")

SERVERS = ("lighttpd", "apache", "nginx")
# The FastCGI responders, each gatehouse-NAME on its own socket (and, on a
# server database, under its own account gatehouse_NAME).
RESPONDERS = ("login", "logout", "sso", "check")


class StackError(Exception):
    """The site could not be set up or started; the message holds the ends
    of the relevant logs."""


def write_ini(path, sections):
    """Writes {section: {key: value}} as gatehouse.conf; a list value
    becomes one "key = item" line per item (the [check] rules)."""
    out = ["# Written by deploy/stack.py.\n"]
    for section, keys in sections.items():
        out.append(f"\n[{section}]\n")
        for key, val in keys.items():
            for item in val if isinstance(val, (list, tuple)) else [val]:
                if isinstance(item, bool):
                    item = "true" if item else "false"
                out.append(f"{key} = {item}\n")
    Path(path).write_text("".join(out))


def write_secret_file(path, text):
    """text plus a newline into path, readable by its owner only."""
    path = Path(path)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
