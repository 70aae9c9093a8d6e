"""Real `carnet` processes for tests that go through the front door: commands, and servers
on a free 127.0.0.1 port, each with only the settings the test gives it."""

import os
import subprocess
from contextlib import contextmanager

from tests import serving
from tests.serving import CARNET, PASSWORD, log_in, with_csrf  # noqa: F401 (used by tests)


def carnet_env(**settings: str) -> dict[str, str]:
    """The environment of a process: none of the test run's CARNET_* settings (no secret
    key: the installation's own is used), cheap password hashing, and `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARNET_")}
    env |= {"CARNET_ARGON2_TIME_COST": "1", "CARNET_ARGON2_MEMORY_COST": "8192"}
    env |= {"CARNET_BACKGROUND": "false"}
    return env | {f"CARNET_{k.upper()}": v for k, v in settings.items()}


def carnet(env: dict[str, str], *args: str) -> str:
    """Runs `carnet <args>`; fails the test with its output when it fails."""
    done = subprocess.run([CARNET, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"carnet {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


@contextmanager
def serve(env: dict[str, str]):
    """`carnet serve` on a free port until the block ends; yields its base URL."""
    with serving.serve(env) as url:
        yield str(url)
