"""The command line as docs/engine-contract.md gives it: exit codes, outputs, nothing written on errors."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from test_validation import GOOD  # noqa: F401  (same folder)

ROOT = Path(__file__).resolve().parents[2]


def run(*args):
    return subprocess.run([sys.executable, "-m", "solver", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


@pytest.fixture
def instance_file(tmp_path):
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(GOOD))
    return path


def test_solve_writes_solution(instance_file, tmp_path):
    out = tmp_path / "solution.json"
    result = run("solve", str(instance_file), "-o", str(out), "--time-limit", "5")
    assert result.returncode == 0, result.stderr
    solution = json.loads(out.read_text())
    assert solution["format"] == "safehome-solution/1"
    assert set(solution["assignments"]) == {"H1", "H2"}
    assert set(solution["objective"]) == {"high_risk_placed", "placed", "fit"}
    assert solution["optimal"] is True and isinstance(solution["seconds"], float)
    assert run("check", str(instance_file), str(out)).returncode == 0


def test_solve_to_stdout(instance_file):
    result = run("solve", str(instance_file))
    assert result.returncode == 0 and json.loads(result.stdout)["format"] == "safehome-solution/1"


def test_suggest(instance_file, tmp_path):
    out = tmp_path / "s.json"
    result = run("suggest", str(instance_file), "--household", "H2", "--top", "1", "-o", str(out))
    assert result.returncode == 0, result.stderr
    s = json.loads(out.read_text())
    assert s["format"] == "safehome-suggestions/1" and s["household"] == "H2" and s["feasible"] == 1
    assert [x["unit"] for x in s["suggestions"]] == ["U2"]
    assert s["ruled_out"]["U1"][0].startswith("kind: ")


def test_check_reports_breaches(instance_file, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "safehome-solution/1", "assignments": {"H1": "U2", "H2": "U2"}}))
    result = run("check", str(instance_file), str(bad))
    assert result.returncode == 1
    assert "H1 -> U2: kind: a perpetrator unit, not for victim households" in result.stdout
    assert "H2 -> U2: unit: unit already given to H1" in result.stdout


def test_invalid_instance_exit_2_every_problem_nothing_written(tmp_path):
    data = json.loads(json.dumps(GOOD))
    data["households"][0]["members"][0]["age"] = -1
    data["units"][0]["bedspaces"] = 0
    path, out = tmp_path / "bad.json", tmp_path / "out.json"
    path.write_text(json.dumps(data))
    for args in (["solve", str(path), "-o", str(out)],
                 ["suggest", str(path), "--household", "H1", "-o", str(out)]):
        result = run(*args)
        assert result.returncode == 2
        assert result.stderr.splitlines() == ["/households/0/members/0/age: must be an integer >= 0",
                                              "/units/0/bedspaces: must be an integer >= 1"]
        assert not out.exists() and result.stdout == ""


@pytest.mark.parametrize("args, message", [
    (["suggest", "{inst}", "--household", "NOPE"], '--household: unknown household "NOPE"'),
    (["solve", "{inst}", "--time-limit", "0"], "--time-limit: must be a number > 0"),
    (["solve", "/nonexistent/instance.json"], "/nonexistent/instance.json: [Errno 2] No such file or directory: "
                                              "'/nonexistent/instance.json'"),
])
def test_bad_arguments_exit_2(args, message, instance_file):
    result = run(*[a.format(inst=instance_file) for a in args])
    assert result.returncode == 2
    assert result.stderr.splitlines() == [message]


def test_unknown_command_exit_2():
    assert run("frobnicate").returncode == 2


def test_solve_with_few_pairs_is_still_proved(instance_file, tmp_path):
    full, sparse = tmp_path / "full.json", tmp_path / "sparse.json"
    assert run("solve", str(instance_file), "-o", str(full)).returncode == 0
    result = run("solve", str(instance_file), "-o", str(sparse), "--max-pairs", "1")
    assert result.returncode == 0, result.stderr
    full, sparse = json.loads(full.read_text()), json.loads(sparse.read_text())
    assert sparse["optimal"] is True
    levels = [{k: s["objective"][k] for k in ("high_risk_placed", "placed")} for s in (full, sparse)]
    assert levels[0] == levels[1]


def test_max_pairs_must_be_positive(instance_file, tmp_path):
    out = tmp_path / "solution.json"
    result = run("solve", str(instance_file), "-o", str(out), "--max-pairs", "0")
    assert result.returncode == 2 and result.stderr.strip() == "--max-pairs: must be an integer >= 1"
    assert not out.exists()
