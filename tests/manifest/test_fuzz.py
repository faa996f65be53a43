"""Whatever the input (random YAML documents, near-manifests, text, bytes), the loader returns a
Desired or raises ManifestError with marked problems: never any other exception."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orbitctl.manifest import ManifestError, load_manifests
from orbitctl.model import CONFIG_KEYS, SELECTION_KEYS, Desired

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["US", "GB", "NO", "toll_free", "+14155550100", "+442071838750", "orphan", "${HOME}",
                     "$${X}", "${", "https://h.example.com/x", "sms", "voice", "2.00", "415", ""]),
)
json_like = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
entry_keys = st.sampled_from(list(SELECTION_KEYS) + list(CONFIG_KEYS) + ["count", "lifecycle", "junk"])
lifecycles = st.fixed_dictionaries(
    {}, optional={"prevent_release": st.booleans() | scalars,
                  "ignore_changes": st.lists(st.sampled_from([*list(CONFIG_KEYS), "number"]), max_size=3)},
)
entries = st.dictionaries(entry_keys, json_like | lifecycles | st.lists(st.sampled_from(["sms", "voice", "x"])),
                          max_size=6)
names = st.sampled_from(["a", "b", "main", "pool", "Bad_Name", ""])
near_manifests = st.fixed_dictionaries(
    {"version": st.sampled_from([1, 2, "1"]), "stack": st.sampled_from(["prod", "Prod", "", 5])},
    optional={
        "defaults": entries,
        "numbers": st.dictionaries(names, entries | st.none(), max_size=4),
        "moved": st.dictionaries(names, names | scalars, max_size=2),
        "removed": st.dictionaries(names, st.sampled_from(["orphan", "delete"]) | scalars, max_size=2),
    },
)


@pytest.fixture(scope="module")
def manifest_file(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz") / "manifest.yaml"


def load_or_problems(path) -> None:
    try:
        desired = load_manifests([path], environ={"HOME": "/home/user"})
    except ManifestError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.file == str(path)
            assert problem.line >= 1 and problem.column >= 1
            assert problem.message
        assert str(error)
    else:
        assert isinstance(desired, Desired)
        assert len(desired.fingerprint) == 64


@FUZZ
@given(document=json_like | near_manifests)
def test_random_yaml_documents(manifest_file, document):
    manifest_file.write_text(yaml.safe_dump(document, allow_unicode=True))
    load_or_problems(manifest_file)


@FUZZ
@given(text=st.text(max_size=300))
def test_random_text(manifest_file, text):
    manifest_file.write_text(text, encoding="utf-8")
    load_or_problems(manifest_file)


@FUZZ
@given(data=st.binary(max_size=300))
def test_random_bytes(manifest_file, data):
    manifest_file.write_bytes(data)
    load_or_problems(manifest_file)


@FUZZ
@given(document=near_manifests, cut=st.integers(min_value=0, max_value=400))
def test_truncated_and_spliced_manifests(manifest_file, document, cut):
    text = yaml.safe_dump(document)
    manifest_file.write_text(text[:cut] + "\n" + text[cut:][: cut // 2])
    load_or_problems(manifest_file)
