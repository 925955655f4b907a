"""A fake codeloc daemon for the code server's tests: a control socket (newline-delimited
JSON-RPC over a Unix stream socket) that records each request and answers it with a function of
the request. Used for the children's calls to the daemon (codeloc_server.control)."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

Answer = Callable[[Dict[str, Any]], Optional[Dict[str, Any]]]


def reloading(request: Dict[str, Any]) -> Dict[str, Any]:
    """The answer of a daemon that starts the reload (location.reload without wait)."""
    name = request.get("params", {}).get("name")
    return {"jsonrpc": "2.0", "id": request["id"], "result": {"name": name, "state": "RELOADING"}}


class FakeDaemon:
    """Accepts connections one at a time and answers each one's first request with
    ``answer(request)`` (a dict to send, or None to close without answering)."""

    def __init__(self, path: Path, answer: Answer = reloading) -> None:
        self.path = str(path)
        self.requests: List[Dict[str, Any]] = []
        self._answer = answer
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(self.path)
        self._listener.listen(4)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with conn, conn.makefile("rb") as reader:  # both: the file holds the socket open
                line = reader.readline()
                if not line:
                    continue
                request = json.loads(line)
                self.requests.append(request)
                answer = self._answer(request)
                if answer is not None:
                    # A notification first: a client must skip lines that are not its answer.
                    conn.sendall(b'{"jsonrpc":"2.0","method":"event","params":{}}\n\n')
                    conn.sendall(json.dumps(answer).encode() + b"\n")

    def wait_requests(self, count: int, timeout: float) -> List[Dict[str, Any]]:
        """The requests once ``count`` have arrived; AssertionError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        delay = 0.01
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.requests)} request(s) in {timeout}s, wanted {count}")
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
        return list(self.requests)

    def close(self) -> None:
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() (Linux)
        except OSError:
            pass
        self._listener.close()
        self._thread.join(10)
