"""The Python example of README.md runs as written (against the random-weight model it names)."""
import os
import re

from conftest import ROOT


def test_readme_python_example_runs(tmp_path, capsys):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    code = code.replace('"corpus.gpeidx"', repr(str(tmp_path / "corpus.gpeidx")))
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        exec(compile(code, "README.md (Python section)", "exec"), {})
    finally:
        os.chdir(cwd)
    assert "ErrorCode.MODEL_NOT_FOUND" in capsys.readouterr().out
    assert (tmp_path / "corpus.gpeidx").exists()
