"""python -m gradviz_torch FILE.py:FACTORY -o out.svg, and ... check FILE.py:FACTORY."""

import json
import os
import subprocess
import sys

from gradviz_torch.__main__ import main

HERE = os.path.dirname(os.path.abspath(__file__))


def test_draw_from_the_shell(tmp_path):
    out = tmp_path / "mlp.svg"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.dirname(HERE), HERE]))
    r = subprocess.run([sys.executable, "-m", "gradviz_torch", "factories.py:mlp", "-o", str(out)],
                       capture_output=True, text=True, cwd=HERE, env=env)
    assert r.returncode == 0, r.stderr
    assert out.read_text().lstrip().startswith("<?xml")


def test_check_reports_and_exits_1(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(HERE)
    report = tmp_path / "report.svg"
    assert main(["check", "factories.py:wrong_square", "-o", str(report)]) == 1
    out = capsys.readouterr().out
    assert "SquareMissingFactor" in out and "DIFFER" in out
    assert "check&#45;failed" in report.read_text()
    assert main(["check", "factories.py:wrong_square", "-o", str(tmp_path / "report.json")]) == 1
    assert json.loads((tmp_path / "report.json").read_text())["function"] == "SquareMissingFactor"
    assert main(["check", "factories.py:mlp"]) == 0
    assert "all agree" in capsys.readouterr().out


def test_usage_errors_exit_2_with_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(HERE)
    for args, message in [(["factories.py"], "expected FILE.py:FACTORY"),
                          (["nope.py:f"], "nope.py: no such file"),
                          (["factories.py:missing"], "no function 'missing'"),
                          (["factories.py:not_a_tuple"], "must return (model, args) or (model, args, loss)"),
                          (["factories.py:mlp", "--gradviz", str(tmp_path / "nope")], "not an executable gradviz")]:
        out = tmp_path / "x.svg"
        assert main(args + ["-o", str(out)]) == 2, args
        err = capsys.readouterr().err
        assert err.startswith("gradviz_torch: ") and message in err and err.count("\n") == 1, err
        assert not out.exists()
    assert main(["factories.py:mlp", "-o", str(tmp_path / "x.gif")]) == 2
    assert "cannot tell the format" in capsys.readouterr().err
    assert main(["factories.py:mlp", "-o", str(tmp_path / "no" / "x.svg")]) == 2
    err = capsys.readouterr().err
    assert "no/x.svg: cannot write: No such file or directory" in err and err.count("\n") == 1
