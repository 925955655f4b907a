"""`codeloc dev`: serve with watching on and a console of one line per state change or reload."""
import signal
import subprocess

from daemon_harness import OWNED_PIDS, RpcClient, pid_alive, wait_for
from test_supervise import command_entry, workspace


def test_without_a_workspace_it_says_how_to_write_one(codeloc_bin, tmp_path):
    done = subprocess.run([str(codeloc_bin), "dev"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=30, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert done.stderr.startswith(f"codeloc dev: there is no workspace.yaml in {tmp_path}\n")
    assert "load_from:" in done.stderr and "python_file:" in done.stderr
    assert "-w path/to/workspace.yaml" in done.stderr


class Dev:
    """`codeloc dev` in tmp_path (which holds workspace.yaml), its output collected."""

    def __init__(self, codeloc_bin, tmp_path):
        self.socket = tmp_path / "dev.sock"
        self.out_path = tmp_path / "dev.out"
        self.out = open(self.out_path, "wb")
        self.proc = subprocess.Popen([str(codeloc_bin), "dev", "--socket", str(self.socket)],
                                     cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        OWNED_PIDS.add(self.proc.pid)

    def text(self) -> str:
        return self.out_path.read_text(errors="replace")

    def wait_line(self, needle: str):
        try:
            wait_for(lambda: needle in self.text(), f"a line with {needle!r}")
        except AssertionError as e:
            raise AssertionError(f"{e}\n--- output ---\n{self.text()}") from None

    def pids(self) -> list[int]:
        client = RpcClient(self.socket)
        try:
            reply = client.call("locations.list")["result"]["locations"]
            return [loc["pid"] for loc in reply if loc["pid"]]
        finally:
            client.close()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self.out.close()


def test_dev_reloads_on_save_and_shows_load_errors_with_their_traceback(codeloc_bin, test_server,
                                                                        tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "code.txt").write_text("assets 2\n")
    (tmp_path / "workspace.yaml").write_text(workspace(command_entry(
        "alpha", test_server, "--code", "code.txt", extra=f"      working_directory: {project}")))
    dev = Dev(codeloc_bin, tmp_path)
    try:
        dev.wait_line("alpha loaded in")
        dev.wait_line("watching 1 location(s)")
        assert "alpha starting (pid " in dev.text()
        assert "alpha loaded in" in dev.text() and ": 2 assets, 0 jobs" in dev.text()
        assert "\033[" not in dev.text(), "no colour when the output is not a terminal"

        (project / "code.txt").write_text("assets 3\n")
        dev.wait_line("reloaded alpha in")
        assert "alpha reloading: code.txt changed" in dev.text()
        assert "3 assets (+1 -0), 0 jobs" in dev.text()

        (project / "code.txt").write_text("load_error bad indentation\n")
        dev.wait_line("alpha load error:")
        dev.wait_line("defs.py:7 in <module>")  # the traceback, indented under the line
        assert "ValueError: bad indentation" in dev.text()
        assert "still serving the last good definitions" in dev.text()

        pids = dev.pids()
        dev.proc.send_signal(signal.SIGINT)
        assert dev.proc.wait(timeout=30) == 0
        assert "every location stopped" in dev.text()
        assert pids and not any(pid_alive(pid) for pid in pids)
    finally:
        dev.close()
