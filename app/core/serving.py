"""`carnet serve` with several worker processes, each on its own listening socket.

uvicorn's own supervisor hands every worker one shared socket. Whichever worker is awake
accepts: a burst of keep-alive connections (a proxy's pool, a team opening Carnet at 9:00)
lands on one worker while the others idle, and that one's requests wait for each other
(measured: Today at 47 req/s with 2 workers, 97–126 with one socket each). Here each worker
gets a socket of its own on the same port (SO_REUSEPORT), and the kernel spreads new
connections across them. The rest — restarting a dead worker, stopping on a signal,
giving up when a worker cannot start — is uvicorn's supervisor, given one socket per worker.
"""

import contextlib
import ctypes
import os
import signal
import socket
import sys

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess, Process, logger

# glibc gives each thread that allocates its own heap arena (up to 8 per core): a worker's
# request threads then hold memory they never return. Two arenas cost nothing measurable
# and keep a worker near 130 MiB instead of 180+. Read by each worker when it starts.
ARENAS = {"MALLOC_ARENA_MAX": "2"}


class Worker(Process):
    """A worker that ends with its supervisor: killed with SIGKILL, the supervisor cannot
    stop its workers, and they would go on holding the port (Linux's parent-death signal)."""

    def target(self, sockets=None) -> None:  # pragma: no cover - runs in the worker
        # Not on Linux: the supervisor's own shutdown still stops the workers.
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() == 1:
            return  # the supervisor died before the signal was asked for
        super().target(sockets)


PR_SET_PDEATHSIG = 1


class SocketPerWorker(Multiprocess):
    """uvicorn's supervisor, with worker i serving sockets[i] (and its replacement too)."""

    def init_processes(self) -> None:
        for sock in self.sockets:
            process = Worker(self.config, [sock])
            process.start()
            self.processes.append(process)

    def restart_all(self) -> None:
        # SIGHUP: replace the workers one by one, each on its own socket.
        for idx, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = Worker(self.config, [self.sockets[idx]])
            new.start()
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new.kill()
                new.join()
                return
            old.terminate()
            old.join()
            self.processes[idx] = new

    def keep_subprocess_alive(self) -> None:
        if self.should_exit.is_set():
            return
        for idx, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()  # hung: its connections go to the replacement
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                logger.error(f"Worker [{process.pid}] failed to start, stopping.")
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            logger.info(f"Worker [{process.pid}] died, starting another")
            self.processes[idx] = Worker(self.config, [self.sockets[idx]])
            self.processes[idx].start()


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def port_is_free(host: str, port: int) -> None:
    """SO_REUSEPORT would let a second Carnet of the same user share a port with the first
    without a word; a plain bind first refuses a port anyone holds."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            logger.error(f"cannot listen on {host}:{port}: {exc.strerror.lower()}")
            sys.exit(STARTUP_FAILURE)


def serve_workers(config: uvicorn.Config) -> None:
    """Serves `config.workers` processes, each accepting on its own socket of host:port."""
    port_is_free(config.host, config.port)
    for name, value in ARENAS.items():
        os.environ.setdefault(name, value)
    first = _listening_socket(config.host, config.port)
    port = first.getsockname()[1]  # the one picked, when asked for port 0
    sockets = [first] + [_listening_socket(config.host, port) for _ in range(config.workers - 1)]
    logger.info(f"Listening on http://{config.host}:{port}, a socket per worker")
    SocketPerWorker(config, sockets).run()
