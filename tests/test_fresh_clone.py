"""A fresh clone runs `make test` without the real-world corpus (outside the repository): those tests skip with
the reason; in CI (env CI set) the corpus is required and its absence fails them."""

import tomllib

import pytest
from conftest import ROOT, require_realworld


def test_missing_corpus_skips_with_a_reason_outside_ci(tmp_path):
    with pytest.raises(pytest.skip.Exception, match="real-world corpus is missing.*CI requires it"):
        require_realworld(tmp_path / "realworld", env={})


def test_missing_corpus_fails_in_ci(tmp_path):
    with pytest.raises(pytest.fail.Exception, match="CI requires it"):
        require_realworld(tmp_path / "realworld", env={"CI": "true"})


def test_present_corpus_is_returned(tmp_path):
    (tmp_path / "realworld").mkdir()
    assert require_realworld(tmp_path / "realworld", env={"CI": "1"}) == tmp_path / "realworld"


def test_make_test_excludes_slow_drills_and_ci_runs_them_separately():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    test_rule = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert '-m "not slow"' in test_rule
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci and "make test-slow" in ci and "make lint" in ci
    markers = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert any(m.startswith("slow:") for m in markers["markers"])
