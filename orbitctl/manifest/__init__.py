"""The manifest: YAML files in, a checked :class:`orbitctl.model.Desired` out.

``load_manifests(paths)`` is the entry point (``load_stacks(paths)`` for several stacks at
once); every mistake it finds is a :class:`Problem` (``FILE:LINE:COL: key.path: what is wrong
(what is allowed)``), all of them raised together in one :class:`ManifestError`. The steps, one
module each: ``yamlload`` (marked, strict YAML), ``variables`` (``${VAR}``), ``accounts``
(``account:``), ``schema`` (schemas/manifest.schema.json; ``validity`` is its fast check of valid
data), ``merge`` (several files), ``semantic`` (numbers, countries, moved/removed), ``build``
(Desired); ``reference`` writes docs/manifest-reference.md from the schema.

May import: ``orbitctl.model``, ``orbitctl.errors``, ``orbitctl.frozen``, ``orbitctl.environment``
(the key's variable, never substituted), ``orbitctl.planfile`` (its file kind, to recognise a saved
plan given as a manifest). Never ``account``, ``plan``, ``apply``, ``render`` or the CLI.
"""

from orbitctl.manifest.loader import StackManifests, load_manifests, load_stacks
from orbitctl.manifest.problems import ManifestError, Problem

__all__ = ["ManifestError", "Problem", "StackManifests", "load_manifests", "load_stacks"]
