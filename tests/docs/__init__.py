"""The documentation's tests. A package, so that its conftest is ``docs.conftest`` and does not
take the name ``conftest`` from tests/conftest.py, whose helpers the other folders import."""
