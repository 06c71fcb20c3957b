"""The wiring's tests run the real bot against the stand-in with the end-to-end fixtures."""
from tests.e2e.conftest import sim, sim_for  # noqa: F401  (fixtures)
