"""Building prompts without espeak-ng or sox says what to install."""

from __future__ import annotations

import os
import shutil

import pytest

from cti.prompts import render


def test_a_missing_tool_is_named_with_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(render.PromptError) as caught:
        render.build(tmp_path / "sounds", ["zh"], ["goodbye"])
    assert str(caught.value) == "espeak-ng and sox not found on PATH; install with: apt-get install espeak-ng sox"
    assert not (tmp_path / "sounds").exists()


@pytest.mark.skipif(shutil.which("sox") is None, reason="needs sox (apt-get install espeak-ng sox)")
def test_only_the_missing_tool_is_named(tmp_path, monkeypatch):
    (tmp_path / "sox").symlink_to(shutil.which("sox"))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert render.missing_tools() == ["espeak-ng"]
    with pytest.raises(render.PromptError, match=r"^espeak-ng not found on PATH; install with: apt-get install"):
        render.check_tools()
    assert os.access(tmp_path / "sox", os.X_OK)
