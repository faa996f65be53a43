"""Carrying out a Plan on the account.

``executor`` (the groups of actions, in order and in parallel), ``purchase`` (buy and configure a
number, never twice), ``configure`` (PUT bodies and the read-back), ``journal`` (numbers bought
but not yet tagged), ``gates`` (release and saved-plan checks before anything changes),
``outcome`` (what each action did), ``lock`` (one apply at a time from a checkout), ``porting``
(the porting requests of port actions) and ``ports`` (the requests remembered).

May import: ``orbitctl.model``, ``orbitctl.errors``, ``orbitctl.frozen``, ``orbitctl.values``
(how values are written), ``orbitctl.statedir``, ``orbitctl.atomicfile``, ``account``,
``plan``. Never the renderers, the manifest or the CLI.
"""
