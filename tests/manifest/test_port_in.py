"""``port_in:`` in the manifest: read into the model with the PIN's variable, never the PIN."""

from __future__ import annotations

import pytest

from orbitctl.manifest import ManifestError, load_manifests
from orbitctl.model import PortIn

MANIFEST = """version: 1
stack: prod
numbers:
  legacy:
    number: "+14155551234"
    label: Legacy
    port_in:
      current_carrier: Acme Telecom
      authorization_name: ${AUTHORISED}
      account_number: ACC-12345
      pin: "${CARRIER_PIN}"
  plain:
    number: "+14155551235"
"""


def test_port_in_is_read_with_the_variable_of_the_pin(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(MANIFEST)
    desired = load_manifests([path], environ={"AUTHORISED": "Jo Doe", "CARRIER_PIN": "4321"})
    assert desired.entries["legacy"].port_in == PortIn("Acme Telecom", "Jo Doe", "ACC-12345", "CARRIER_PIN")
    assert desired.entries["plain"].port_in is None
    # the PIN is read at apply time only: its value is in no fingerprint, and needs no setting here
    other_pin = load_manifests([path], environ={"AUTHORISED": "Jo Doe", "CARRIER_PIN": "9999"})
    unset = load_manifests([path], environ={"AUTHORISED": "Jo Doe"})
    assert desired.fingerprint == other_pin.fingerprint == unset.fingerprint
    renamed = tmp_path / "n.yaml"
    renamed.write_text(MANIFEST.replace("${CARRIER_PIN}", "${OTHER_PIN}"))
    assert load_manifests([renamed], environ={"AUTHORISED": "Jo Doe"}).fingerprint != desired.fingerprint


@pytest.mark.parametrize("written", ['"4321"', "4321", '"PIN ${CARRIER_PIN}"', '"$${CARRIER_PIN}"'])
def test_a_pin_that_is_not_one_variable_is_refused_without_being_shown(tmp_path, written):
    path = tmp_path / "m.yaml"
    path.write_text(MANIFEST.replace('"${CARRIER_PIN}"', written))
    with pytest.raises(ManifestError) as caught:
        load_manifests([path], environ={"AUTHORISED": "Jo Doe", "CARRIER_PIN": "4321"})
    (problem,) = caught.value.problems
    assert problem.path == "numbers.legacy.port_in.pin"
    assert "4321" not in str(caught.value)
