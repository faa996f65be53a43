"""The plan, pure: Desired and Live in, a Plan out; no network, no files, no clock, no environment.

``planner`` (the diff of SPEC sections 2 and 3), ``matching`` (does a live number satisfy a
selection), ``diff`` (configuration changes, key by key), ``pricing`` (availability and cost from
inventory offers searched beforehand), ``budget`` (the stack's monthly cost before and after, and
its ``budget:``).

May import: ``orbitctl.model``, ``orbitctl.errors``, ``orbitctl.frozen``. Never ``account``,
``apply``, ``render``, the sandbox or the CLI.
"""
