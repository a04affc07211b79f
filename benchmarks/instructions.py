"""The app's instructions per call of the load mix, counted by valgrind's callgrind.

    python -m benchmarks.instructions [--calls 300] [--kind "GET /experts?…"] [--database load]

The replay (benchmarks/replay.py) times calls in CPU seconds, which on these shared machines
drift by 15-70 % within an hour: a change worth 3 % cannot be seen. Instructions can: the
same code on the same data runs the same number of them whatever else the machine does
(0.2 % apart in repeated runs here). This replays the first --calls calls of the mix (or of
one kind of call) in-process under `valgrind --tool=callgrind`, counting only while they run:
not Python's start, the sign-ins or the warm-up. It counts the app's process alone, not
PostgreSQL's (the replay's db CPU column is for that). Each run takes a minute or two:
valgrind runs Python some 50 times slower. Needs valgrind (Debian's package; `make
load-deps` installs it).
"""

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import load, replay


def main() -> None:
    options = parse_options()
    if options.counted:
        return replay_counted(options)
    replay.ensure_database(options.database)
    calls, instructions = count(options)
    what = f"`{options.kind}`" if options.kind else "the mix"
    print(f"{calls} calls of {what}: {instructions / calls / 1e6:.2f} million instructions "
          f"a call (the app's process; {instructions:,} in all)")


def parse_options():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--kind", help="one kind of call, as the replay's table names it")
    parser.add_argument("--database", default="load")
    parser.add_argument("--counted", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def count(options) -> tuple[int, int]:
    """Run this module under callgrind with --counted; switch counting on for the calls only
    (callgrind_control, when the child says READY) and read the total from its output."""
    with tempfile.TemporaryDirectory(prefix="instructions-") as folder, \
            open(Path(folder) / "valgrind.log", "w+", encoding="utf-8") as log:
        output = Path(folder) / "callgrind.out"
        child = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no",
             f"--callgrind-out-file={output}", sys.executable, "-m", "benchmarks.instructions",
             "--counted", "--calls", str(options.calls), "--database", options.database,
             *(["--kind", options.kind] if options.kind else [])],
            cwd=load.ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True)
        calls = 0
        for line in child.stdout:
            word, *rest = line.split()
            if word in ("READY", "DONE"):  # the child waits for "go" after each
                switch = "on" if word == "READY" else "off"
                subprocess.run(["callgrind_control", "-i", switch, str(child.pid)], check=True,
                               capture_output=True)
                calls = int(rest[0])
                child.stdin.write("go\n")
                child.stdin.flush()
        if child.wait() != 0:
            log.seek(0)
            sys.exit(f"the counted replay failed:\n{log.read()[-3000:]}")
        totals = re.search(r"^totals: (\d+)", output.read_text(), re.MULTILINE)
        return calls, int(totals.group(1))


def replay_counted(options) -> None:
    """The child: sign in, draw the mix, warm up, then replay the calls between READY and
    DONE (each answered by the parent's "go")."""
    _app, client, mix = replay.app_and_mix(options.database)
    calls = [c for c in mix if options.kind in (None, replay.kind_of(c[0], c[1]))]
    calls = calls[:options.calls]
    for n, each in enumerate(mix[:replay.WARM_UP] + calls):
        replay.send(client, n, each)
    for word in ("READY", "DONE"):
        print(word, len(calls), flush=True)
        sys.stdin.readline()
        if word == "READY":
            for n, each in enumerate(calls):
                replay.send(client, n, each)


if __name__ == "__main__":
    main()
