"""Every `>>>` example in the cti package runs and gives what its docstring says."""

import doctest
import importlib
import pkgutil

import pytest

import cti

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(cti.__path__, "cti.") if not m.name.startswith("cti._")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
