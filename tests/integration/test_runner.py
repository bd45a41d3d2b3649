"""The runner itself (run.py): it finds every test_*.py on its own, so a
module nobody named still runs, and a module that fails to import or
registers no test is a failing line, not a silence.  Checked by running
run.py --list on a folder of made-up modules, and on this folder."""

import subprocess
import sys
import tempfile
from pathlib import Path

from harness import check, test

RUN = Path(__file__).resolve().parent / "run.py"

PROBES = {
    # Found although nobody names it.
    "test_probe_found.py": (
        "from harness import multi_server_test, test\n\n"
        "@test('probe_found')\n"
        "def probe_found(site):\n    pass\n\n"
        "@multi_server_test('probe_found_multi')\n"
        "def probe_found_multi(pair):\n    pass\n"),
    # Registers a test, then fails: the test must not run.
    "test_probe_broken.py": (
        "from harness import test\n\n"
        "@test('probe_half_imported')\n"
        "def probe_half_imported(site):\n    pass\n\n"
        "raise RuntimeError('probe: broken on purpose')\n"),
    "test_probe_syntax.py": "def probe(:\n",
    "test_probe_empty.py": '"""A test module that forgot its tests."""\n',
    # Not a test module: not imported (it would fail).
    "probe_helper.py": "raise RuntimeError('probe: imported a non-test module')\n",
}


def run_list(*args):
    return subprocess.run([sys.executable, str(RUN), "--list", *args], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=60)


# The runner does not depend on the site: once, on the cheapest pass.
@test("runner_discovers_test_modules", databases=("sqlite",), servers=("lighttpd",))
def runner_discovers_test_modules(site):
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in PROBES.items():
            (Path(tmp) / name).write_text(text)
        r = run_list("--tests-dir", tmp)
    out = r.stdout
    lines = out.splitlines()
    what = f"run.py --list --tests-dir on made-up modules:\n{out}{r.stderr}"
    check("probe_found" in lines and "probe_found_multi" in lines,
          "a module named by nobody was not imported", what)
    for module in ("test_probe_broken", "test_probe_syntax", "test_probe_empty"):
        check(f"not ok - import/{module}" in lines, f"no failing line for {module}", what)
    check("probe: broken on purpose" in out and "SyntaxError" in out,
          "the import failures do not say why", what)
    check("registers no test" in out, "the empty module's line does not say why", what)
    check("probe_half_imported" not in lines,
          "a test of a module that failed to import is still listed", what)
    check("imported a non-test module" not in out, "a module not named test_* was imported",
          what)
    check(lines[-1:] == ["0 passed, 3 failed"] and r.returncode == 1,
          "expected '0 passed, 3 failed' as the last line and exit status 1", what)


@test("runner_imports_every_module_here", databases=("sqlite",), servers=("lighttpd",))
def runner_imports_every_module_here(site):
    r = run_list()
    lines = r.stdout.splitlines()
    what = f"run.py --list:\n{r.stdout}{r.stderr}"
    check(lines[-1:] == ["0 passed, 0 failed"] and r.returncode == 0,
          "a test module of this folder failed to import or registers no test", what)
    # One test of each module, by its registered name.
    for name in ("check_", "db_accounts_least_privilege", "logout_revokes_session_at_check",
                 "runner_discovers_test_modules"):
        check(any(line.startswith(name) for line in lines), f"{name}... is not listed", what)
