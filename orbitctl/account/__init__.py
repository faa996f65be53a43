"""The Orbit account: everything that talks to the Orbit Numbers API.

``client`` (OrbitClient over httpx: auth, retries, pagination, typed errors), ``api`` (the API's
shapes, limits and exceptions), ``retry`` (the retry policy), ``observe`` (the account read into
``model.Live``), ``inventory`` (searches of ``GET /numbers/available`` into ``model.Offer``).

May import: ``orbitctl.model``, ``orbitctl.errors``, ``orbitctl.frozen``, ``orbitctl.environment``.
Never the planner, the executor, the manifest, the renderers or the CLI.
"""

import sys

# httpx imports its command-line tool (``httpx._main``: rich and pygments, about 35 ms, a third of
# its import) whenever those are installed, as rich is here; orbitctl never runs that tool, and
# every command pays for its start. An entry of None in ``sys.modules`` makes that import fail,
# and httpx then defines the stand-in it keeps for when they are not installed.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
