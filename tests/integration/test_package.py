"""Installation and packaging (docs/deploy.md): `cmake --install` into a temporary prefix, and the
Debian package built by cpack and unpacked into a temporary root, each give a codeloc that finds
the code server installed beside it, checks a workspace and serves a Python location to LOADED;
the installed systemd unit passes `systemd-analyze verify`.

The package is built here, by cpack from the build tree under test (CODELOC_BUILD_DIR), into a
temporary folder: cpack installs with prefix /usr whatever the tree's prefix (cmake/package.cmake),
so this is the package scripts/package.sh makes, without a second compile. A Python location
needs dagster: the interpreter is the build tree's dagster environment (scripts/python-envs.sh).
"""
from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess

import pytest

from conftest import BUILD_DIR, ROOT
from daemon_harness import Daemon, cleanup_all

CODE_SERVER = pathlib.Path("share/codeloc/python/codeloc_server")
SOURCE_UNIT = ROOT / "deploy/systemd/codeloc.service"
SOURCE_WORKSPACE = ROOT / "deploy/etc/codeloc/workspace.yaml"
INSTALL_MANIFEST: list[str] = []  # the files `cmake --install` wrote, read right after it
SLOW = 180  # seconds: dagster's import on a busy machine

DEFS = """\
import dagster as dg


@dg.asset
def installed_tree_asset():
    return 1


defs = dg.Definitions(assets=[installed_tree_asset])
"""


def run(argv, **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("timeout", SLOW)
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, **kwargs)


def clean_env() -> dict:
    """The environment of an installed codeloc: no CODELOC_* variable (CODELOC_CODE_SERVER above
    all), no PYTHONPATH, no virtual environment."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CODELOC_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["NO_COLOR"] = "1"
    return env


@pytest.fixture(scope="module")
def dagster_python() -> pathlib.Path:
    python = BUILD_DIR / "venvs/dagster/bin/python"
    if not python.exists():
        pytest.skip(f"{python} is missing: run scripts/python-envs.sh")
    return python


@pytest.fixture(scope="module")
def installed(tmp_path_factory, codeloc_bin) -> pathlib.Path:
    """`cmake --install <build> --prefix <tmp>`; returns the prefix."""
    prefix = tmp_path_factory.mktemp("prefix")
    done = run(["cmake", "--install", BUILD_DIR, "--prefix", prefix])
    assert done.returncode == 0, done.stdout + done.stderr
    INSTALL_MANIFEST[:] = (BUILD_DIR / "install_manifest.txt").read_text().split()
    return prefix


@pytest.fixture(scope="module")
def deb(tmp_path_factory, codeloc_bin) -> pathlib.Path:
    """The .deb that cpack makes from the build tree, in a temporary folder."""
    for tool in ("cpack", "dpkg-deb", "dpkg-shlibdeps"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is missing (scripts/install-deps.sh installs it)")
    out = tmp_path_factory.mktemp("deb")
    done = run(["cpack", "-G", "DEB", "--config", BUILD_DIR / "CPackConfig.cmake", "-B", out],
               cwd=out)
    assert done.returncode == 0, done.stdout + done.stderr
    debs = sorted(out.glob("codeloc_*.deb"))
    assert len(debs) == 1, (debs, done.stdout)
    return debs[0]


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory, deb) -> pathlib.Path:
    """The package's files, `dpkg-deb -x` into a temporary root."""
    root = tmp_path_factory.mktemp("debroot")
    done = run(["dpkg-deb", "-x", deb, root])
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def serve_installed(tmp_path, dagster_python):
    """Checks and serves a one-location workspace with an installed codeloc from a clean folder;
    returns the code server's argv. Every process started is gone at the end."""
    daemons: list[Daemon] = []

    def serve(codeloc: pathlib.Path) -> list[str]:
        workdir = tmp_path / f"run{len(daemons)}"
        workdir.mkdir()
        (workdir / "defs.py").write_text(DEFS)
        workspace = f"""load_from:
  - python_file:
      relative_path: defs.py
      location_name: hello
      executable_path: {dagster_python}
"""
        d = Daemon(codeloc, workdir, workspace, ["--startup-timeout", f"{SLOW}s"])
        d.env = clean_env()
        daemons.append(d)

        check = run([codeloc, "check", "-w", d.workspace], cwd=workdir, env=d.env)
        assert check.returncode == 0, check.stderr
        assert "hello" in check.stdout and "python_file" in check.stdout, check.stdout

        d.start()
        loc = d.wait_state("hello", "LOADED", timeout=SLOW)
        d.known_pids.add(loc["pid"])
        argv = pathlib.Path(f"/proc/{loc['pid']}/cmdline").read_bytes().split(b"\0")[:-1]
        assert d.stop() == 0, d.log()
        return [os.fsdecode(a) for a in argv]

    yield serve
    cleanup_all(daemons)


# cmake --install --------------------------------------------------------------------------------

def test_install_lays_out_the_binary_code_server_unit_docs_and_workspace(installed):
    assert os.access(installed / "bin/codeloc", os.X_OK)
    server = installed / CODE_SERVER
    assert sorted(p.name for p in server.iterdir()) == sorted(
        p.name for p in (ROOT / "python/codeloc_server").glob("*.py"))
    assert not list(installed.rglob("__pycache__")) and not list(installed.rglob("*.pyc"))
    assert (installed / "lib/systemd/system/codeloc.service").is_file()
    assert (installed / "etc/codeloc/workspace.yaml").read_text() == SOURCE_WORKSPACE.read_text()
    docs = installed / "share/doc/codeloc"
    assert (docs / "README.md").is_file()
    assert (docs / "docs/deploy.md").is_file() and (docs / "docs/configuration.md").is_file()
    assert (docs / "examples/workspace.yaml").read_text() == SOURCE_WORKSPACE.read_text()
    # No test binaries, and nothing outside the prefix (the manifest lists every file written).
    names = {p.name for p in installed.rglob("*")}
    assert not names & {"codeloc_tests", "codeloc_test_server"}
    outside = [f for f in INSTALL_MANIFEST if not pathlib.Path(f).is_relative_to(installed)]
    assert INSTALL_MANIFEST and not outside, outside


def test_installed_unit_names_the_installed_paths(installed):
    unit = (installed / "lib/systemd/system/codeloc.service").read_text()
    expected = SOURCE_UNIT.read_text().replace(
        "/usr/bin/codeloc ", f"{installed}/bin/codeloc ").replace(
        "/etc/codeloc/", f"{installed}/etc/codeloc/").replace(
        "/usr/share/doc/codeloc/", f"{installed}/share/doc/codeloc/")
    assert unit == expected
    assert f"ExecStart={installed}/bin/codeloc serve -w {installed}/etc/codeloc/workspace.yaml" \
        in unit


def test_installed_unit_passes_systemd_analyze_verify(installed):
    """The installed unit, whose ExecStart names the installed binary, so that verify's check of
    the executable checks the real thing (the source unit names /usr/bin/codeloc, absent here)."""
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is missing (Debian's systemd package)")
    unit = installed / "lib/systemd/system/codeloc.service"
    done = run([analyze, "verify", unit], env=dict(os.environ, SYSTEMD_LOG_LEVEL="notice"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "codeloc.service" not in done.stdout + done.stderr, done.stdout + done.stderr


def test_shipped_workspace_and_its_commented_example_check(installed, tmp_path):
    codeloc = installed / "bin/codeloc"
    shipped = installed / "etc/codeloc/workspace.yaml"
    done = run([codeloc, "check", "-w", shipped, "--json"], env=clean_env())
    assert done.returncode == 0, done.stderr
    # The commented entry, uncommented as the file says (delete the leading "# ").
    lines = shipped.read_text().splitlines()
    start = lines.index("# load_from:")
    example = "\n".join(line[2:] for line in lines[start:]) + "\n"
    (tmp_path / "workspace.yaml").write_text(example)
    done = run([codeloc, "check", "-w", tmp_path / "workspace.yaml"], env=clean_env())
    assert done.returncode == 0, done.stderr
    assert re.search(r"analytics\s.*python_module", done.stdout), done.stdout
    assert "/srv/dagster/analytics/.venv/bin/python" in done.stdout


def test_installed_codeloc_serves_with_its_own_code_server(installed, serve_installed):
    argv = serve_installed(installed / "bin/codeloc")
    assert argv[1] == os.path.realpath(installed / CODE_SERVER), argv


# The Debian package --------------------------------------------------------------------------

def deb_field(info: str, name: str) -> str:
    match = re.search(rf"^ {name}: (.*)$", info, re.M)
    assert match, f"no {name} in:\n{info}"
    return match.group(1)


def test_deb_control_fields_and_depends_cover_linked_libraries(deb, unpacked):
    info = run(["dpkg-deb", "-I", deb]).stdout
    assert deb_field(info, "Package") == "codeloc"
    version = re.search(r"project\(codeloc VERSION (\S+)",
                        (ROOT / "CMakeLists.txt").read_text()).group(1)
    assert deb_field(info, "Version") == version
    assert deb_field(info, "Section") == "admin"
    assert deb_field(info, "Maintainer")
    description = run(["dpkg-deb", "-f", deb, "Description"]).stdout.splitlines()
    assert description[0] == "supervisor daemon for Dagster code locations", description
    assert len(description) > 2 and description[1].startswith(" codeloc reads"), description
    depends = [d.strip() for d in deb_field(info, "Depends").split(",")]
    names = {re.split(r"[\s(]", d)[0] for d in depends}
    assert "python3 (>= 3.9)" in depends and {"adduser", "procps"} <= names, depends
    # Every shared library the binary needs is in a package that Depends names, or one that
    # package provides (libspdlog1.10 provides libspdlog1.10-fmt9): dpkg-shlibdeps did its work.
    objdump = run(["objdump", "-p", unpacked / "usr/bin/codeloc"])
    needed = re.findall(r"NEEDED\s+(\S+)", objdump.stdout)
    # The C++ libraries are in the binary (CODELOC_STATIC_CXX in CMakeLists.txt; libstdc++ only
    # with g++, CODELOC_STATIC_RUNTIME); OpenSSL's and the C library stay shared, from their
    # Debian packages.
    assert "libcrypto.so.3" in needed and "libc.so.6" in needed, objdump.stdout
    linked_in = {"libyaml-cpp.so.0.7", "libspdlog.so.1.10", "libfmt.so.9", "libsystemd.so.0"}
    if os.environ.get("CODELOC_STATIC_RUNTIME", "ON") == "ON":
        linked_in.add("libstdc++.so.6")
    assert not linked_in & set(needed), needed
    for soname in needed:
        owners = run(["dpkg-query", "-S", f"*/{soname}"]).stdout
        packages = {line.split(":")[0] for line in owners.splitlines()}
        provided = set(packages)
        for package in packages:
            fields = run(["dpkg-query", "-W", "-f", "${Provides}", package]).stdout
            provided |= {re.split(r"[\s(]", p.strip())[0] for p in fields.split(",") if p.strip()}
        assert provided & names, f"{soname} ({provided}) is not in Depends: {depends}"
    for script in ("postinst", "prerm", "postrm", "conffiles"):
        assert re.search(rf"^\s+\d+ bytes,\s+\d+ lines\s+\*?\s+{script}\b", info, re.M), info


def test_deb_contents_conffile_and_maintainer_scripts(deb, unpacked, tmp_path):
    assert os.access(unpacked / "usr/bin/codeloc", os.X_OK)
    assert (unpacked / "usr" / CODE_SERVER / "__main__.py").is_file()
    assert not list(unpacked.rglob("__pycache__")) and not list(unpacked.rglob("*.pyc"))
    assert (unpacked / "etc/codeloc/workspace.yaml").read_text() == SOURCE_WORKSPACE.read_text()
    assert (unpacked / "usr/share/doc/codeloc/docs/deploy.md").is_file()
    # Prefix /usr: the packaged unit is the one in deploy/, unchanged (the test above verifies
    # the same text with only its paths moved).
    assert (unpacked / "usr/lib/systemd/system/codeloc.service").read_text() == \
        SOURCE_UNIT.read_text()
    names = {p.name for p in unpacked.rglob("*")}
    assert not names & {"codeloc_tests", "codeloc_test_server"}

    control = tmp_path / "control"
    assert run(["dpkg-deb", "-e", deb, control]).returncode == 0
    assert (control / "conffiles").read_text().split() == ["/etc/codeloc/workspace.yaml"]
    for script in ("postinst", "prerm", "postrm"):
        assert os.access(control / script, os.X_OK), script
        syntax = run(["sh", "-n", control / script])
        assert syntax.returncode == 0, syntax.stderr
    postinst = [line for line in (control / "postinst").read_text().splitlines()
                if not line.lstrip().startswith("#")]
    assert any("adduser --system" in line for line in postinst)
    assert any("/etc/codeloc" in line for line in postinst)
    # The decision in docs/deploy.md: the package neither enables nor starts the service.
    assert not [line for line in postinst
                if re.search(r"systemctl\b.*\b(enable|start|restart)\b", line)], postinst


STUBS = ("getent", "addgroup", "adduser", "mkdir", "chown", "chmod", "dpkg-statoverride",
         "systemctl")


@pytest.mark.parametrize("user_exists", [False, True])
def test_postinst_makes_the_user_and_group_only_when_missing(deb, tmp_path, user_exists):
    """The package's postinst under `configure`, with every command it runs replaced by a stub
    that logs its arguments (so nothing on this machine changes): a missing codeloc user and
    group are created as system ones, existing ones are left alone, and nothing is enabled or
    started."""
    control = tmp_path / "control"
    assert run(["dpkg-deb", "-e", deb, control]).returncode == 0
    stubs = tmp_path / "bin"
    stubs.mkdir()
    calls = tmp_path / "calls"
    # getent exits 2 for a missing key; dpkg-statoverride --list exits 1 when there is none.
    statuses = {"getent": 0 if user_exists else 2, "dpkg-statoverride": 1}
    for name in STUBS:
        status = statuses.get(name, 0)
        (stubs / name).write_text(f'#!/bin/sh\necho "{name} $*" >> {calls}\nexit {status}\n')
        (stubs / name).chmod(0o755)
    done = run(["/bin/sh", control / "postinst", "configure", ""], env={"PATH": str(stubs)})
    assert done.returncode == 0, done.stdout + done.stderr
    log = calls.read_text().splitlines()
    made = [line for line in log if line.startswith(("addgroup", "adduser"))]
    if user_exists:
        assert made == [], log
    else:
        assert made == [
            "addgroup --system --quiet codeloc",
            "adduser --system --quiet --ingroup codeloc --home /var/lib/codeloc "
            "--no-create-home --shell /usr/sbin/nologin --gecos codeloc, Dagster code location "
            "supervisor codeloc"], log
    assert "chown root:codeloc /etc/codeloc" in log and "chmod 0750 /etc/codeloc" in log, log
    assert not [line for line in log if re.match(r"systemctl .*\b(enable|start|restart)\b", line)]


def test_unpacked_deb_checks_and_serves_with_its_own_code_server(unpacked, serve_installed):
    argv = serve_installed(unpacked / "usr/bin/codeloc")
    assert argv[1] == os.path.realpath(unpacked / "usr" / CODE_SERVER), argv
