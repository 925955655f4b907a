"""The fork server: a warm interpreter the daemon forks locations' code servers from (docs/warm.md).

``<python> <codeloc_server> --fork-server [--preload dagster,...]``, with a ``SOCK_SEQPACKET``
socket on fd 3 (``CODELOC_CHANNEL_FD``). It imports the code server and the preload modules, warms
the code server's load path on definitions it builds itself (never user code), then:

- sends one packet ``{"ready": true, ...}`` (what it preloaded, its threads, its site-packages);
- answers each request packet ``{"id": N, "argv": [...], "env": ["K=V", ...], "cwd": DIR,
  "daemon": PID}``, which carries three descriptors over SCM_RIGHTS (the location's channel, stdout
  and stderr), with ``{"id": N, "pid": CHILD}`` or ``{"id": N, "error": TEXT}``.

Each request forks twice: the middle process forks the location's process and exits, so the
location's process is re-parented to the daemon (a child subreaper), which reaps it and sees its real
exit status. The fork server exits when the socket reaches end of file.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import socket
import sys
import time
import types
from typing import Any, Dict, List, Optional, Tuple

from . import server

MAX_PACKET = 1 << 20  # a request is the location's argv and environment
PR_SET_PDEATHSIG = 1
REPARENT_TIMEOUT = 5.0


def log(message: str) -> None:
    """One line on stderr (the daemon logs it as the fork server's)."""
    try:
        sys.stderr.write(f"{message}\n")
        sys.stderr.flush()
    except Exception:
        pass


def _pythonpath(value: Optional[str]) -> List[str]:
    return [entry for entry in (value or "").split(os.pathsep) if entry]


class ForkServer:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        # sys.path as a cold code server starts with it, minus this process's PYTHONPATH entries
        # (a fork puts the location's own in their place).
        own = set(_pythonpath(os.environ.get("PYTHONPATH")))
        self.base_path = [entry for entry in sys.path if entry not in own]
        self.preloaded: List[str] = []
        self.failed: Dict[str, str] = {}

    # ---- warming ----

    def preload(self, modules: List[str]) -> None:
        for name in modules:
            try:
                __import__(name)
                self.preloaded.append(name)
            except BaseException as error:  # a module may raise anything; the server goes on
                if isinstance(error, KeyboardInterrupt):
                    raise
                self.failed[name] = f"{type(error).__name__}: {error}"
                log(f"could not preload {name}: {type(error).__name__}: {error}")
        if "dagster" in sys.modules:
            self._warm_dagster_load_path()
        gc.collect()
        gc.freeze()  # the children's collector leaves the warm objects (and their pages) alone

    def _warm_dagster_load_path(self) -> None:
        """Runs the code server's load and snapshot on a Definitions built here (no user code), so
        that the Dagster modules they import lazily are imported once, here."""
        from . import cli, loader, scan, snapshot

        try:
            import dagster

            @dagster.asset
            def codeloc_warm_up() -> None:
                pass

            module = types.ModuleType("codeloc_warm_up")
            module.defs = dagster.Definitions(assets=[codeloc_warm_up])
            target = cli.Target(cli.PYTHON_MODULE, module.__name__, None, os.getcwd())
            loader._begin_definitions_load()
            found = scan.loadable_targets(module)
            repository = loader.to_repository(found[0].target_definition, target)
            snapshot.encode(snapshot.build(repository, "codeloc-warm-up"))
            from . import dagster_grpc

            dagster_grpc.preload()  # the gRPC server's modules too (imports only: no threads)
        except BaseException as error:
            if isinstance(error, KeyboardInterrupt):
                raise
            log(f"warming the load path failed (forks still work): {type(error).__name__}: {error}")

    def ready_message(self, started: float) -> Dict[str, Any]:
        import site

        folders = list(site.getsitepackages()) if hasattr(site, "getsitepackages") else []
        return {
            "ready": True,
            "pid": os.getpid(),
            "python": sys.executable,
            "version": sys.version.split()[0],
            "preloaded": self.preloaded,
            "failed": self.failed,
            "threads": thread_count(),
            "site_packages": [f for f in folders if os.path.isdir(f)],
            "seconds": round(time.monotonic() - started, 3),
        }

    # ---- serving ----

    def serve(self) -> int:
        while True:
            try:
                data, fds, _flags, _addr = socket.recv_fds(self.sock, MAX_PACKET, 3)
            except InterruptedError:
                continue
            except OSError as error:
                log(f"receive failed: {error}")
                return 1
            if not data:
                for fd in fds:
                    os.close(fd)
                return 0
            reply = self.handle(data, fds)
            try:
                self.sock.send(json.dumps(reply).encode())
            except OSError:
                return 0

    def handle(self, data: bytes, fds: List[int]) -> Dict[str, Any]:
        request_id = None
        try:
            request = json.loads(data)
            request_id = request.get("id")
            if len(fds) != 3:
                return {"id": request_id, "error": f"expected 3 descriptors, got {len(fds)}"}
            threads = thread_count()
            if threads != 1:
                return {
                    "id": request_id,
                    "error": f"the warm interpreter has {threads} threads; forking it is unsafe",
                    "unsafe": True,
                }
            pid = self.fork_location(request, fds)
            return {"id": request_id, "pid": pid}
        except Exception as error:  # a malformed request: answer it, keep serving
            return {"id": request_id, "error": f"{type(error).__name__}: {error}"}
        finally:
            for fd in fds:
                try:
                    os.close(fd)
                except OSError:
                    pass

    def fork_location(self, request: Dict[str, Any], fds: List[int]) -> int:
        argv = [str(a) for a in request["argv"]]
        env = [str(e) for e in request["env"]]
        cwd = str(request.get("cwd") or "")
        daemon = int(request["daemon"])
        report_read, report_write = os.pipe()
        middle = os.fork()
        if middle == 0:
            try:
                os.close(report_read)
                # Taken before the fork: the child's getppid() may already be the daemon's pid.
                middle_pid = os.getpid()
                child = os.fork()
                if child == 0:
                    os.close(report_write)
                    self.become_location(argv, env, cwd, daemon, middle_pid, fds)
                try:
                    os.setpgid(child, child)  # both sides, as the cold launcher does
                except OSError:
                    pass
                os.write(report_write, str(child).encode())
            finally:
                os._exit(0)
        os.close(report_write)
        try:
            text = b""
            while True:
                chunk = os.read(report_read, 64)
                if not chunk:
                    break
                text += chunk
        finally:
            os.close(report_read)
            os.waitpid(middle, 0)
        if not text:
            raise OSError("the middle process did not report the location's pid")
        return int(text)

    def become_location(
        self, argv: List[str], env: List[str], cwd: str, daemon: int, middle: int, fds: List[int]
    ) -> None:
        """In the location's process: never returns."""
        status = 1
        try:
            os.setpgid(0, 0)
            self.sock.detach()  # its descriptor is closed below with the rest
            # Re-parented to the daemon once the middle process has exited; only then does the death
            # signal follow the daemon (it would fire at the middle process's exit otherwise).
            deadline = time.monotonic() + REPARENT_TIMEOUT
            while os.getppid() == middle and time.monotonic() < deadline:
                time.sleep(0.0002)
            _set_death_signal(signal.SIGKILL)
            if os.getppid() != daemon:
                os._exit(1)  # the daemon is gone (or is not our subreaper)
            _fresh_signals()
            channel, out, err = fds
            null = os.open(os.devnull, os.O_RDONLY)
            high = [os.dup(fd) for fd in (null, out, err, channel)]
            os.dup2(high[0], 0)
            os.dup2(high[1], 1)
            os.dup2(high[2], 2)
            os.dup2(high[3], 3)
            os.closerange(4, _max_fd())
            os.environ.clear()
            for entry in env:
                key, sep, value = entry.partition("=")
                if sep and key:
                    os.environ[key] = value
            sys.path[:] = _pythonpath(os.environ.get("PYTHONPATH")) + self.base_path
            import importlib

            importlib.invalidate_caches()
            if cwd:
                try:
                    os.chdir(cwd)
                except OSError as error:
                    log(f"cannot enter working directory '{cwd}': {error.strerror}")
                    os._exit(127)
            gc.enable()
            sys.argv = [argv[0]] + argv[1:]
            status = server.main(argv[1:])
        except SystemExit as exit_request:
            status = exit_request.code if isinstance(exit_request.code, int) else 1
        except BaseException as error:
            log(f"codeloc-python: fork failed: {type(error).__name__}: {error}")
            status = 1
        finally:
            server._exit(status)


def _fresh_signals() -> None:
    """Signal dispositions as a fresh interpreter has them (a preloaded module may have changed
    some): the default, except SIGPIPE and SIGXFSZ ignored and SIGINT raising KeyboardInterrupt."""
    ignored = {getattr(signal, name) for name in ("SIGPIPE", "SIGXFSZ") if hasattr(signal, name)}
    for number in range(1, signal.NSIG):
        if number in (signal.SIGKILL, signal.SIGSTOP):
            continue
        try:
            signal.signal(number, signal.SIG_IGN if number in ignored else signal.SIG_DFL)
        except (OSError, ValueError):
            pass
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


def thread_count() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        import threading

        return threading.active_count()


def _max_fd() -> int:
    try:
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        return soft if 0 < soft < (1 << 20) else 65536
    except Exception:
        return 65536


def _set_death_signal(number: int) -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(number), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")


def parse(argv: List[str]) -> Tuple[List[str], int]:
    """``--fork-server [--preload a,b]``: the modules to preload and the socket's descriptor."""
    import argparse

    parser = argparse.ArgumentParser(prog="codeloc_server --fork-server")
    parser.add_argument("--fork-server", action="store_true", required=True)
    parser.add_argument("--preload", default="dagster", help="modules to import, comma-separated")
    args = parser.parse_args(argv)
    modules = [m.strip() for m in args.preload.split(",") if m.strip()]
    fd = int(os.environ.get("CODELOC_CHANNEL_FD", "3"))
    return modules, fd


def main(argv: List[str]) -> int:
    started = time.monotonic()
    modules, fd = parse(argv)
    try:
        sock = socket.socket(fileno=fd)
    except OSError as error:
        log(f"no socket on fd {fd}: {error}")
        return 2
    os.set_inheritable(fd, False)
    forks = ForkServer(sock)
    # ctypes is needed in every fork (the death signal): imported here, once.
    import ctypes  # noqa: F401

    forks.preload(modules)
    try:
        sock.send(json.dumps(forks.ready_message(started)).encode())
    except OSError:
        return 0
    return forks.serve()
