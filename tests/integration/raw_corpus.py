"""The attacker's corpus of raw request targets for test_raw_targets.py.

Each target is bytes, sent as it is on the request line (no client
normalisation), and tries to make the web server serve a protected page of
the demo site (deploy/demo-site: /admin/, /private/, /cgi-bin/whoami.cgi)
while the check decides on some other, more open path (/public/, /).  The
tricks: a raw or encoded "#" or "?" that cuts the path for one side only,
dot segments and slashes in every encoding, backslashes, path parameters,
doubled slashes, absolute-form targets (upper-case scheme, userinfo),
case variants, trailing dots and spaces, control characters, NUL bytes,
overlong UTF-8 and overlong paths.

The corpus is generated, not listed: add a new trick to one of the tables
below and every combination with the others is tried under every server.
Deterministic (sorted), so a failure names the same target every run.
"""

# The protected targets, and the page each one is.
SENSITIVE = (
    ("/admin/", "admin"),
    ("/admin/index.html", "admin"),
    ("/admin", "admin"),
    ("/private/", "private"),
    ("/private/index.html", "private"),
    ("/cgi-bin/whoami.cgi", "whoami"),
)

# Open places the check might be fooled into seeing instead.
OPEN = ("/public/", "/", "/index.html", "/public/index.html")

# Ways to write "/" and "." and ".." inside a path.
SLASHES = ("/", "%2f", "%2F", "%252f", "\\", "%5c", "%5C", "//", "/./", "%c0%af", "%e0%80%af",
           ";/", "/;/")
DOTDOT = ("..", "%2e%2e", "%2E%2E", ".%2e", "%2e.", "%252e%252e", "%c0%ae%c0%ae", "..;",
          "..%00", "..%20", ". .", "...", "..\\", "%2e%2e%2f")

# What may follow a path and be read differently by the server and the
# check (a fragment, a query, a path parameter, a trailing oddity).
SUFFIXES = ("", "#", "#/../../public/", "%23/../../public/", "?/../../public/",
            "%3f/../../public/", "%3F/../public/", ";", ";/../../public/", ";x=1", ".", "%2e",
            "%20", " ", "%00", "%09", "\t", "/.", "/..", "/x/..", "%0a", "%0d%0a", "~",
            "::$DATA", "%", "%2", "%zz", "#?", "?#", "??", "##")

# Prefixes that turn a path into another form of target.
FORMS = ("", "http://127.0.0.1", "HTTP://127.0.0.1", "http://user@127.0.0.1",
         "http://user:pw@127.0.0.1:1", "hTtP://localhost:80", "https://127.0.0.1",
         "//127.0.0.1", "http:", "http://127.0.0.1:99999", "ftp://127.0.0.1")

# The letters of the protected folder names, encoded or in another case.
def _spellings(name):
    yield name
    yield name.upper()
    yield name[0].upper() + name[1:]
    yield "".join(f"%{ord(c):02x}" for c in name)
    yield f"%{ord(name[0]):02X}" + name[1:]
    yield name + "."
    yield name + "%20"
    yield name + "%2e"
    yield name + "/."
    yield name + ";"
    yield name + "%00"


def _traversals():
    """'/public/../' and friends: an open folder, then a way back up."""
    for slash in SLASHES:
        for up in DOTDOT:
            for start in ("/public", "/public/x"):
                yield start + slash + up + slash


# One target of each protected page, for the combinations that would
# otherwise multiply by every spelling of the same page.
ONE_EACH = ("/admin/", "/private/index.html", "/cgi-bin/whoami.cgi")


def corpus():
    """The sorted, de-duplicated list of targets (bytes)."""
    out = set()
    for path in ONE_EACH:
        # The protected path with every suffix, in every form.
        for suffix in SUFFIXES:
            for form in FORMS:
                out.add(form + path + suffix)
        # Reached from an open folder through every traversal.
        for trav in _traversals():
            out.add(trav + path.lstrip("/"))
    for path, _ in SENSITIVE:
        for suffix in SUFFIXES:
            out.add(path + suffix)
    # The folder names spelt otherwise, and the open place after a cut.
    for folder in ("admin", "private"):
        for spelling in _spellings(folder):
            for tail in ("/", "/index.html", ""):
                out.add("/" + spelling + tail)
                out.add("//" + spelling + tail)
                out.add("/public/../" + spelling + tail)
        for cut in ("#", "%23", "?", "%3f", ";", "%00", "\\"):
            for place in OPEN:
                out.add(f"/{folder}/{cut}/../..{place}")
                out.add(f"/{folder}{cut}/..{place}")
                out.add(f"/{folder}/index.html{cut}{place}")
    # Overlong paths: deep enough that a fixed buffer would cut them.
    for path, _ in SENSITIVE:
        out.add("/public/" + "a/" * 2100 + "../" * 2100 + path.lstrip("/"))
        out.add("/public/" + "./" * 3000 + ".." + path)
        out.add(path + "/" * 5000)
        out.add("/" * 3000 + path.lstrip("/"))
        out.add(path + "#" + "/.." * 2000 + "/public/")
    out.add("*")
    out.add("")
    out.add("127.0.0.1:80")
    return sorted(t.encode("latin-1") for t in out)
