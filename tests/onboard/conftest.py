"""The command line's tests share the pipeline's fixtures: the three simulators as real loopback servers."""

from tests.pipeline.conftest import sims  # noqa: F401 - pytest finds the fixture by its name here
