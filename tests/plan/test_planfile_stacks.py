"""Saved plans of several stacks (``plan DIR... --out FILE``): one file, a plan a stack, checked
as one; a single stack's file stays as it was."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import pytest

from orbitctl.errors import OrbitctlError
from orbitctl.model import AccountRef
from orbitctl.planfile import load_plan, load_plans, save_plan, save_plans
from tests import sample_plans as sp

STAGING = AccountRef("ORBIT_API_KEY_STAGING", "ORBIT_API_URL_STAGING")


def two_plans():
    prod = sp.plan_of(sp.purchase(), delta="1.50", monthly_cost_now=Decimal("3.00"),
                      monthly_cost_after=Decimal("4.50"), budget=Decimal("250.00"))
    staging = dataclasses.replace(sp.plan_of(sp.release()), stack="staging", account=STAGING,
                                  manifest_paths=("staging",))
    return [prod, staging]


def test_the_plans_of_several_stacks_round_trip_in_one_file(tmp_path):
    path = tmp_path / "plans.json"
    plans = two_plans()
    save_plans(plans, path)
    assert load_plans(path) == plans
    assert [plan.account for plan in load_plans(path)] == [AccountRef(), STAGING]


def test_one_plan_is_saved_as_a_single_stacks_file(tmp_path):
    one, alone = tmp_path / "one.json", tmp_path / "alone.json"
    save_plans(two_plans()[:1], one)
    save_plan(two_plans()[0], alone)
    assert one.read_text() == alone.read_text()
    assert load_plan(one) == two_plans()[0]


def test_a_file_of_several_stacks_is_not_one_plan(tmp_path):
    path = tmp_path / "plans.json"
    save_plans(two_plans(), path)
    with pytest.raises(OrbitctlError, match="holds the plans of 2 stacks"):
        load_plan(path)


def test_an_edited_file_of_several_stacks_is_refused(tmp_path):
    path = tmp_path / "plans.json"
    save_plans(two_plans(), path)
    document = json.loads(path.read_text())
    document["stacks"][1]["actions"] = []
    path.write_text(json.dumps(document))
    with pytest.raises(OrbitctlError, match="changed after it was saved"):
        load_plans(path)


def test_the_file_names_the_accounts_variables_never_their_values(tmp_path, monkeypatch):
    monkeypatch.setenv("ORBIT_API_KEY_STAGING", "dv_test_sk_never_in_a_file_0001")
    path = tmp_path / "plans.json"
    save_plans(two_plans(), path)
    text = path.read_text()
    assert "ORBIT_API_KEY_STAGING" in text and "dv_test_sk_never_in_a_file_0001" not in text
