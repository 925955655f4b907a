"""Warm interpreters (docs/warm.md): Python locations forked from a fork server that has imported
dagster, with the real dagster of build/venvs/dagster (or of $CODELOC_DAGSTER_PYTHON)."""
import json
import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import zipfile

import pytest

from conftest import BUILD_DIR
from daemon_harness import pid_alive, wait_for

DAGSTER_PYTHON = pathlib.Path(os.environ.get("CODELOC_DAGSTER_PYTHON")
                              or BUILD_DIR / "venvs" / "dagster" / "bin" / "python")
SLOW = 180  # deadline for anything that imports dagster on a busy 2-core machine


@pytest.fixture(autouse=True)
def need_dagster():
    if not DAGSTER_PYTHON.exists():
        pytest.skip(f"{DAGSTER_PYTHON} is missing: run scripts/python-envs.sh")


def entry(name: str, path: pathlib.Path, python=DAGSTER_PYTHON, extra: str = "") -> str:
    text = f"""  - python_file:
      relative_path: {path}
      location_name: {name}
      working_directory: {path.parent}
      executable_path: {python}
"""
    if not extra:
        return text
    return text + textwrap.indent(textwrap.dedent(extra).rstrip("\n") + "\n", "      ")


def write_defs(folder: pathlib.Path, body: str) -> pathlib.Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "defs.py"
    path.write_text("import os\nimport sys\n\nimport dagster as dg\n\n" + textwrap.dedent(body))
    return path


SIMPLE = """
@dg.asset
def numbers():
    return [1, 2, 3]


defs = dg.Definitions(assets=[numbers])
"""


def fork_server(d, python=DAGSTER_PYTHON) -> dict | None:
    for server in d.rpc("daemon.info")["result"]["fork_servers"]:
        if server["python"] == str(python):
            return server
    return None


def wait_fork_server(d, state="ready", python=DAGSTER_PYTHON, where=lambda s: True) -> dict:
    def reached():
        server = fork_server(d, python)
        return server if server and server["state"] == state and where(server) else None

    try:
        return wait_for(reached, f"the fork server of {python} to be {state}", SLOW)
    except AssertionError as e:
        raise AssertionError(f"{e}; now {fork_server(d, python)}\n{d.log()[-6000:]}") from None


def definitions(d, name: str) -> dict:
    reply = d.rpc("location.definitions", {"name": name})
    assert "result" in reply, reply
    return reply["result"]


def reload_and_wait(d, name: str, method="location.reload") -> dict:
    before = d.locations()[name]["pid"]
    reply = d.rpc(method, {"name": name})
    assert "result" in reply, reply
    return d.wait_state(name, "LOADED", SLOW, where=lambda loc: loc["pid"] != before)


def parent_of(pid: int) -> int:
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1])


def process_group(pid: int) -> int:
    return os.getpgid(pid)


def test_a_warm_start_serves_the_same_snapshot_bytes_as_a_cold_one(daemon_factory, tmp_path):
    path = write_defs(tmp_path / "same", SIMPLE)
    opted_out = write_defs(tmp_path / "optout", SIMPLE)
    cold_workspace = ("load_from:\n" + entry("same", path, extra="warm: false")
                      + entry("optout", opted_out, extra="warm: false"))
    d = daemon_factory(cold_workspace, extra_args=["--startup-timeout", "180s"]).start()
    first = d.wait_state("same", "LOADED", SLOW)
    assert first["start_mode"] == "cold" and first["cold_reason"] is None
    assert fork_server(d) is None, "no fork server while no location wants one"
    cold = definitions(d, "same")

    # The same entry without warm: false (a changed entry reloads): its interpreter's fork server
    # starts, and the start waits for its warm-up rather than starting cold.
    d.workspace.write_text("load_from:\n" + entry("same", path)
                           + entry("optout", opted_out, extra="warm: false"))
    d.signal(signal.SIGHUP)
    warm = d.wait_state("same", "LOADED", SLOW, where=lambda loc: loc["pid"] != first["pid"])
    assert warm["start_mode"] == "warm", warm
    assert warm["cold_reason"] is None
    d.wait_log(r"reloaded same in [0-9.]+ m?s \(warm\): 1 asset")
    again = definitions(d, "same")
    assert again["version"] == cold["version"], "the snapshot's bytes differ (version is their hash)"
    assert again["definitions"] == cold["definitions"]
    # Supervised like a cold child: the daemon's child, in its own process group.
    assert parent_of(warm["pid"]) == d.proc.pid
    assert process_group(warm["pid"]) == warm["pid"]
    assert fork_server(d)["forks"] == 1

    # warm: false stays cold, with no reason to report.
    opt = reload_and_wait(d, "optout")
    assert opt["start_mode"] == "cold" and opt["cold_reason"] is None
    d.wait_log(r"reloaded optout in [0-9.]+ m?s \(cold\)")

    server = fork_server(d)
    pids = [server["pid"], warm["pid"], opt["pid"]]
    assert d.stop() == 0
    assert [pid for pid in pids if pid_alive(pid)] == [], "a process outlived the daemon"


def test_the_first_starts_wait_for_the_fork_servers_warm_up(daemon_factory, tmp_path):
    names = ["one", "two", "three"]
    workspace = "load_from:\n" + "".join(
        entry(name, write_defs(tmp_path / name, SIMPLE)) for name in names)
    d = daemon_factory(workspace, extra_args=["--startup-timeout", "180s"]).start()
    for name in names:
        loc = d.wait_state(name, "LOADED", SLOW)
        assert loc["start_mode"] == "warm", loc
    server = wait_fork_server(d)
    assert server["forks"] == 3 and server["restarts"] == 0
    assert d.stop() == 0


def test_the_fork_applies_the_locations_environment_and_working_directory(daemon_factory,
                                                                         tmp_path):
    library = tmp_path / "library"
    library.mkdir()
    (library / "helper_mod.py").write_text("SUFFIX = 'via_pythonpath'\n")
    body = """
    import helper_mod

    NAME = "_".join([os.environ["ASSET_PREFIX"], os.path.basename(os.getcwd()), helper_mod.SUFFIX])


    @dg.asset(name=NAME, metadata={"cwd": os.getcwd(),
                                   "daemon_only": os.environ.get("DAEMON_ONLY", "absent"),
                                   "first_path": sys.path[0]})
    def located():
        return 1


    defs = dg.Definitions(assets=[located])
    """
    one = write_defs(tmp_path / "folder_one", body)
    two = write_defs(tmp_path / "folder_two", body)
    workspace = ("load_from:\n"
                 + entry("one", one, extra=f"env:\n  ASSET_PREFIX: first\n  PYTHONPATH: {library}\n")
                 + entry("two", two, extra=f"""\
                     env:
                       ASSET_PREFIX: second
                       PYTHONPATH: {library}
                       PATH: /usr/bin:/bin
                     inherit_env: false
                     """))
    d = daemon_factory(workspace, extra_args=["--startup-timeout", "180s"],
                       env={"DAEMON_ONLY": "yes"}).start()
    d.wait_state("one", "LOADED", SLOW)
    d.wait_state("two", "LOADED", SLOW)
    wait_fork_server(d)
    for name, prefix, folder, leak in (("one", "first", "folder_one", "yes"),
                                       ("two", "second", "folder_two", "absent")):
        loc = reload_and_wait(d, name)
        assert loc["start_mode"] == "warm", loc
        asset = definitions(d, name)["definitions"]["assets"][0]
        assert asset["key"] == [f"{prefix}_{folder}_via_pythonpath"]
        assert asset["metadata"]["cwd"] == str(tmp_path / folder)
        assert asset["metadata"]["first_path"] == str(tmp_path / folder)
        assert asset["metadata"]["daemon_only"] == leak, "inherit_env: false must drop it"
        assert os.readlink(f"/proc/{loc['pid']}/cwd") == str(tmp_path / folder)
    assert d.stop() == 0


def test_a_warm_childs_crash_is_seen_with_its_exit_status_and_restarted(daemon_factory, tmp_path):
    flag = tmp_path / "crash.flag"
    path = write_defs(tmp_path / "crashy", f"if os.path.exists({str(flag)!r}):\n    os._exit(7)\n"
                      + SIMPLE)
    d = daemon_factory("load_from:\n" + entry("crashy", path),
                       extra_args=["--startup-timeout", "180s", "--backoff-initial", "50ms",
                                   "--backoff-max", "200ms"]).start()
    d.wait_state("crashy", "LOADED", SLOW)
    wait_fork_server(d)
    flag.write_text("crash\n")
    assert "result" in d.rpc("location.restart", {"name": "crashy"})
    # The real status of the forked process (not the fork server's middle process's 0).
    d.wait_log(r"crashy: .*exited with code 7")
    crashed = d.wait_state("crashy", None, SLOW, where=lambda loc: loc["restarts"] >= 2)
    assert crashed["last_exit"] == {"code": 7}
    flag.unlink()
    loc = d.wait_state("crashy", "LOADED", SLOW)
    assert loc["start_mode"] == "warm", loc
    assert fork_server(d)["forks"] >= 3
    assert d.stop() == 0


def test_killing_the_fork_server_keeps_locations_and_falls_back_cold_then_warm(daemon_factory,
                                                                               tmp_path):
    path = write_defs(tmp_path / "steady", SIMPLE)
    d = daemon_factory("load_from:\n" + entry("steady", path),
                       extra_args=["--startup-timeout", "180s"]).start()
    d.wait_state("steady", "LOADED", SLOW)
    server = wait_fork_server(d)
    warm = reload_and_wait(d, "steady")
    assert warm["start_mode"] == "warm"

    os.kill(server["pid"], signal.SIGKILL)
    d.wait_log(r"fork server for .*: it exited \(killed by SIGKILL\); restarting it in")
    loc = d.locations()["steady"]
    assert loc["state"] == "LOADED" and loc["pid"] == warm["pid"], "the location went down"
    assert pid_alive(warm["pid"])

    cold = reload_and_wait(d, "steady")
    assert cold["start_mode"] == "cold", cold
    assert "fork server is restarting" in cold["cold_reason"] or (
        "fork server is starting" in cold["cold_reason"]), cold

    again = wait_fork_server(d, where=lambda s: s["restarts"] == 1)
    assert again["pid"] != server["pid"]
    back = reload_and_wait(d, "steady")
    assert back["start_mode"] == "warm", back
    pids = [again["pid"], back["pid"]]
    assert d.stop() == 0
    assert [pid for pid in pids if pid_alive(pid)] == []


def test_a_hung_fork_server_is_replaced_and_the_start_goes_cold(daemon_factory, tmp_path):
    path = write_defs(tmp_path / "patient", SIMPLE)
    d = daemon_factory("load_from:\n" + entry("patient", path),
                       extra_args=["--startup-timeout", "180s"]).start()
    d.wait_state("patient", "LOADED", SLOW)
    hung = wait_fork_server(d)
    os.kill(hung["pid"], signal.SIGSTOP)
    try:
        loc = reload_and_wait(d, "patient")
    finally:
        if pid_alive(hung["pid"]):
            os.kill(hung["pid"], signal.SIGCONT)
    assert loc["start_mode"] == "cold", loc
    assert loc["cold_reason"] == "the fork failed: no answer within 2000 ms", loc
    d.wait_log(r"fork server for .*: no answer within 2000 ms; restarting it in")
    assert d.rpc("daemon.info")["result"]["pid"] == d.proc.pid, "the daemon answers"
    wait_for(lambda: not pid_alive(hung["pid"]), "the hung fork server to be stopped", SLOW)
    again = wait_fork_server(d, where=lambda s: s["pid"] != hung["pid"])
    assert reload_and_wait(d, "patient")["start_mode"] == "warm"
    pids = [again["pid"], d.locations()["patient"]["pid"]]
    assert d.stop() == 0
    assert [pid for pid in pids if pid_alive(pid)] == []


def make_wheel(folder: pathlib.Path) -> pathlib.Path:
    """A minimal wheel (codeloc_probe 1.0), built by hand: pip installs it without network."""
    wheel = folder / "codeloc_probe-1.0-py3-none-any.whl"
    info = "codeloc_probe-1.0.dist-info"
    files = {
        "codeloc_probe/__init__.py": "VALUE = 1\n",
        f"{info}/METADATA": "Metadata-Version: 2.1\nName: codeloc-probe\nVersion: 1.0\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: codeloc-tests\nRoot-Is-Purelib: true\n"
                         "Tag: py3-none-any\n",
    }
    record = "".join(f"{name},,\n" for name in files) + f"{info}/RECORD,,\n"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
        archive.writestr(f"{info}/RECORD", record)
    return wheel


def test_installing_a_package_recycles_the_fork_server(daemon_factory, tmp_path):
    # A virtual environment of its own (so the install touches nothing shared) that sees the
    # dagster venv's packages through a .pth file.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import site; print(site.getsitepackages()[0])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    dagster_site = subprocess.run(
        [str(DAGSTER_PYTHON), "-c", "import site; print(site.getsitepackages()[0])"],
        check=True, capture_output=True, text=True).stdout.strip()
    pathlib.Path(site, "dagster_venv.pth").write_text(dagster_site + "\n")
    path = write_defs(tmp_path / "probe", SIMPLE)
    d = daemon_factory("load_from:\n" + entry("probe", path, python=python),
                       extra_args=["--startup-timeout", "180s"]).start()
    d.wait_state("probe", "LOADED", SLOW)
    first = wait_fork_server(d, python=python)
    assert reload_and_wait(d, "probe")["start_mode"] == "warm"

    done = subprocess.run([str(DAGSTER_PYTHON), "-m", "pip", "--python", str(python), "install",
                           "--no-index", "--no-deps", "--disable-pip-version-check", "-q",
                           str(make_wheel(tmp_path))], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    d.wait_log(r"fork server for .*: its environment changed .*starting a new one")
    second = wait_fork_server(d, python=python, where=lambda s: s["pid"] != first["pid"])
    wait_for(lambda: not pid_alive(first["pid"]), "the old fork server to exit", SLOW)
    loc = reload_and_wait(d, "probe")
    assert loc["start_mode"] == "warm", loc
    assert fork_server(d, python)["forks"] >= 1
    pids = [second["pid"], loc["pid"]]
    assert d.stop() == 0
    assert [pid for pid in pids if pid_alive(pid)] == []


def test_a_threaded_warm_interpreter_is_not_forked(daemon_factory, tmp_path):
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "starts_a_thread.py").write_text(
        "import threading\nimport time\n\n"
        "threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()\n")
    path = write_defs(tmp_path / "plain", SIMPLE)
    d = daemon_factory("load_from:\n" + entry("plain", path),
                       extra_args=["--startup-timeout", "180s", "--warm-preload",
                                   "starts_a_thread"],
                       env={"PYTHONPATH": str(modules)}).start()
    d.wait_state("plain", "LOADED", SLOW)
    server = wait_fork_server(d, state="disabled")
    assert "2 threads" in server["error"]
    d.wait_log(r"fork server for .*: after preloading it has 2 threads; forking a multi-threaded "
               r"process is unsafe; its locations start cold")
    loc = reload_and_wait(d, "plain")
    assert loc["start_mode"] == "cold"
    assert "warm starts are off for this interpreter" in loc["cold_reason"]
    assert d.stop() == 0
