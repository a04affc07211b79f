"""python -m scheduler: solve, verify, generate; bad input exits 2 with a message."""

import json
import subprocess
import sys

import pytest
from sched_builders import a_problem, a_request, an_expert

from scheduler.__main__ import main


@pytest.fixture
def problem_file(tmp_path):
    path = tmp_path / "problem.json"
    assert main(["generate", "--requests", "60", "--experts", "40", "--seed", "1",
                 "-o", str(path)]) == 0
    return path


def test_generate_writes_a_problem_over_real_cities(problem_file):
    doc = json.loads(problem_file.read_text(encoding="utf-8"))
    assert doc["format"] == "dispatch-problem/1"
    assert {"shanghai", "shenzhen", "hefei"} <= {c["code"] for c in doc["cities"]}
    assert len(doc["requests"]) == 60 and len(doc["experts"]) == 40


def test_solve_then_verify_round_trip(problem_file, tmp_path, capsys):
    plan_file = tmp_path / "plan.json"
    assert main(["solve", str(problem_file), "-o", str(plan_file), "--time-limit", "2"]) == 0
    plan = json.loads(plan_file.read_text(encoding="utf-8"))
    assert plan["format"] == "dispatch-plan/1" and plan["status"] in ("optimal", "feasible")
    assert "bound" in capsys.readouterr().err
    assert main(["verify", str(problem_file), str(plan_file)]) == 0


def test_verify_lists_violations_one_per_line_and_exits_1(problem_file, tmp_path, capsys):
    doc = json.loads(problem_file.read_text(encoding="utf-8"))
    r = doc["requests"][0]["id"]
    plan = {"assignments": [{"request": r, "expert": e["id"]} for e in doc["experts"][:5]]}
    plan_file = tmp_path / "bad.json"
    plan_file.write_text(json.dumps(plan), encoding="utf-8")
    assert main(["verify", str(problem_file), str(plan_file)]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) > 1 and all(line.startswith("rule ") for line in lines)


def test_solve_prints_the_plan_on_stdout_without_output_file(problem_file, capsys):
    assert main(["solve", str(problem_file), "--time-limit", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["format"] == "dispatch-plan/1"


def test_solve_reads_stdin_and_writes_what_json_would_write(problem_file):
    """`-` reads the problem from stdin; the plan on stdout is UTF-8 JSON without spaces,
    byte for byte what json.dumps(ensure_ascii=False) writes (the command uses orjson)."""
    run = subprocess.run([sys.executable, "-m", "scheduler", "solve", "-", "--time-limit", "1"],
                         input=problem_file.read_bytes(), capture_output=True, timeout=60)
    assert run.returncode == 0, run.stderr
    plan = json.loads(run.stdout)
    assert plan["format"] == "dispatch-plan/1" and plan["assignments"]
    assert run.stdout.decode("utf-8") == json.dumps(
        plan, ensure_ascii=False, separators=(",", ":")) + "\n"


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not valid JSON"),
    (json.dumps(a_problem([an_expert()], [a_request(seats="1")])), "seats must be an integer"),
])
def test_malformed_input_exits_2_with_a_message(tmp_path, capsys, content, message):
    path = tmp_path / "p.json"
    path.write_text(content, encoding="utf-8")
    assert main(["solve", str(path)]) == 2
    assert message in capsys.readouterr().err


def test_an_item_left_out_is_a_warning_on_stderr_and_the_plan_is_made(tmp_path, capsys):
    doc = a_problem([an_expert(), an_expert("E9", appointed_from="2025-01-01",
                                            appointed_until="2024-01-01")],
                    [a_request(), a_request("R9", days=[{"start": "2025-04-02",
                                                          "end": "2025-04-01"}])],
                    pinned=[{"request": "R1", "expert": "E9"}])
    path, out = tmp_path / "p.json", tmp_path / "plan.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["solve", str(path), "-o", str(out), "--time-limit", "2",
                 "--workers", "1"]) == 0
    err = capsys.readouterr().err
    assert "warning: experts[1] (id 'E9'): appointed_until 2024-01-01 is before" in err
    assert "warning: requests[1] (id 'R9') days[0]" not in err
    assert "warning: requests[1] (id 'R9'): days[0]: end 2025-04-01 is before" in err
    assert "warning: pinned[0] ('R1', 'E9'): expert 'E9' left out; pair dropped" in err
    plan = json.loads(out.read_text(encoding="utf-8"))
    assert len(plan["warnings"]) == 3 and plan["solver"]["workers"] == 1
    assert {(a["request"], a["expert"]) for a in plan["assignments"]} == {("R1", "E1")}
    assert main(["verify", str(path), str(out)]) == 0


def test_workers_must_be_positive(problem_file, capsys):
    assert main(["solve", str(problem_file), "--workers", "0"]) == 2
    assert "--workers must be at least 1" in capsys.readouterr().err


def test_workers_default_to_the_cores_capped_at_8():
    from scheduler.solve import default_workers

    assert 1 <= default_workers() <= 8


def test_missing_file_exits_2(capsys):
    assert main(["verify", "/nonexistent/p.json", "/nonexistent/q.json"]) == 2
    assert "not found" in capsys.readouterr().err


def test_invalid_problem_in_a_subprocess_gives_no_traceback(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(a_problem([an_expert(), an_expert()], [])), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "scheduler", "solve", str(path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "duplicate id" in run.stderr and "Traceback" not in run.stderr
    assert json.loads(run.stdout)["status"] == "invalid"


@pytest.mark.slow
def test_bench_row_compares_with_hand_dispatch_and_verifies():
    from scheduler.bench import run

    table = run(sizes=["200x100@1"])
    row = table.splitlines()[2].split("|")
    assert row[1].strip() == "200x100" and row[12].strip() == "0"


def test_progress_reports_reach_the_caller():
    from scheduler import load_problem, solve

    events = []
    problem = load_problem(a_problem([an_expert()], [a_request()]))
    solve(problem, time_limit_s=1, progress=events.append)
    assert events[-1]["phase"] == "done" and events[-1]["bound"] == 3
