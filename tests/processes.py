"""`flask` commands in processes of their own, for tests that need a real worker beside them,
and free ports for the servers such tests start."""

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def flask(url: str, *args: str, log: Path | None = None, **extra_env) -> subprocess.Popen:
    """`flask ARGS` on the database at `url`, as `make demo` runs it, its output in `log`."""
    env = dict(os.environ, DATABASE_URL=url, REGISTRY_ENV="development", MAIL_BACKEND="none",
               **extra_env)
    with open(log or os.devnull, "a") as output:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "registry", *args],
                                cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on just now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
