"""The flows' tests use the pipeline's fixtures: the three simulators as real loopback servers."""

from tests.pipeline.conftest import *  # noqa: F403 - pytest finds fixtures by name in this module
