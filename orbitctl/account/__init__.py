"""The Orbit account: everything that talks to the Orbit Numbers API.

``client`` (OrbitClient over httpx: auth, retries, pagination, typed errors), ``api`` (the API's
shapes, limits and exceptions), ``retry`` (the retry policy), ``observe`` (the account read into
``model.Live``), ``inventory`` (searches of ``GET /numbers/available`` into ``model.Offer``).

May import: ``orbitctl.model``, ``orbitctl.errors``, ``orbitctl.frozen``, ``orbitctl.environment``.
Never the planner, the executor, the manifest, the renderers or the CLI.
"""
