"""The sandbox: an emulator of the Orbit Numbers API that imports nothing from the rest of orbitctl.

``app.create_app`` builds the WSGI application, ``server.serve_in_thread`` serves it over HTTP and
``store.read_state`` reads a state file; ``docs/sandbox.md`` describes how it behaves.

May import: nothing of orbitctl outside ``orbitctl.sandbox``, so that it judges the client and
the planner honestly.
"""
