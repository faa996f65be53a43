"""The state file: persistence across restarts, several servers and processes sharing one file,
atomic writes, and reads that re-parse the file only when it changed."""

from __future__ import annotations

import json
import threading

import httpx
import pytest

from orbitctl.sandbox.store import StateFileError, Store, read_state
from tests.helpers import sandbox_api
from tests.processes import orbitctl_process

KEY = {"X-API-Key": "dv_test_sk_store"}


def api(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers=KEY)


def available(client: httpx.Client, count: int, **params) -> list[str]:
    rows = client.get("/api/v1/numbers/available", params={"country": "US", "limit": count, **params}).json()["data"]
    return [row["number"] for row in rows]


def purchase(client: httpx.Client, number: str) -> httpx.Response:
    return client.post("/api/v1/numbers/purchase", json={"phone_number": number, "country_code": "US"})


def test_account_survives_a_restart(sandbox_server, tmp_path):
    state = tmp_path / "account.json"
    first = sandbox_server(state_path=state)
    with api(first.url) as client:
        number_id = purchase(client, "+14155550100").json()["data"]["id"]
        client.put(f"/api/v1/numbers/{number_id}", json={"label": "Kept", "tags": ["a"]})
        detail = client.get(f"/api/v1/numbers/{number_id}").json()["data"]
    first.stop()

    second = sandbox_server(state_path=state)
    with api(second.url) as client:
        assert client.get(f"/api/v1/numbers/{number_id}").json()["data"] == detail
        assert client.get("/api/v1/numbers").json()["meta"]["pagination"]["total"] == 1
        assert "+14155550100" not in available(client, 5, area_code="415")
        assert purchase(client, "+14155550100").status_code == 409


def test_two_servers_share_one_state_file(sandbox_server, tmp_path):
    state = tmp_path / "shared.json"
    one, two = sandbox_server(state_path=state), sandbox_server(state_path=state)
    with api(one.url) as a, api(two.url) as b:
        number_id = purchase(a, "+14155550100").json()["data"]["id"]
        assert b.get(f"/api/v1/numbers/{number_id}").json()["data"]["number"] == "+14155550100"
        assert purchase(b, "+14155550100").status_code == 409
        assert b.put(f"/api/v1/numbers/{number_id}", json={"label": "from b"}).status_code == 200
        assert a.get(f"/api/v1/numbers/{number_id}").json()["data"]["label"] == "from b"
        assert b.delete(f"/api/v1/numbers/{number_id}").status_code == 204
        assert a.get(f"/api/v1/numbers/{number_id}").status_code == 404


def test_concurrent_purchases_through_two_servers_lose_nothing(sandbox_server, tmp_path):
    state = tmp_path / "race.json"
    servers = [sandbox_server(state_path=state), sandbox_server(state_path=state)]
    with api(servers[0].url) as client:
        numbers = available(client, 24, area_code="212")
    contested = "+14155550100"
    results: list[tuple[str, int]] = []
    lock = threading.Lock()

    def worker(slot: int) -> None:
        with api(servers[slot % 2].url) as client:
            mine = [contested, *numbers[slot::8]]
            for number in mine:
                status = purchase(client, number).status_code
                with lock:
                    results.append((number, status))

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    contested_statuses = sorted(status for number, status in results if number == contested)
    assert contested_statuses == [201] + [409] * 7
    assert all(status == 201 for number, status in results if number != contested)
    snapshot = read_state(state)
    owned = sorted(record["number"] for record in snapshot["numbers"].values())
    assert owned == sorted([*numbers, contested])
    purchases = [entry for entry in snapshot["audit"] if entry["method"] == "POST"]
    assert len(purchases) == 25
    assert not list(tmp_path.glob("*.tmp")), "no temp file is left behind"


def test_a_serve_process_and_a_thread_share_a_state_file(sandbox_server, tmp_path):
    state = tmp_path / "processes.json"
    with orbitctl_process("sandbox", "serve", "--port", "0", "--quiet", "--state", str(state)) as process:
        url = process.stdout.readline().split("listening on ", 1)[1].split()[0]
        local = sandbox_server(state_path=state)
        with api(url) as remote, api(local.url) as here:
            numbers = available(here, 20, area_code="305")

            def buy_all(client: httpx.Client, chunk: list[str]) -> None:
                for number in chunk:
                    assert purchase(client, number).status_code == 201

            other = threading.Thread(target=buy_all, args=(remote, numbers[::2]))
            other.start()
            buy_all(here, numbers[1::2])
            other.join()
            for client in (remote, here):
                listed = client.get("/api/v1/numbers", params={"limit": 200}).json()["data"]
                assert sorted(item["number"] for item in listed) == sorted(numbers)


def test_read_state_of_a_missing_file_is_an_empty_account(tmp_path):
    assert read_state(tmp_path / "none.json")["numbers"] == {}
    assert read_state(tmp_path / "none.json")["audit"] == []


def test_reads_reuse_the_parsed_state_until_the_file_changes(tmp_path):
    path = tmp_path / "s.json"
    reader, writer = Store(path), Store(path)
    first = reader.current()
    assert reader.current() is first
    with writer.write() as draft:
        draft.put_port({"id": "port_x", "numbers": [], "estimated_completion": "2099-01-01T00:00:00Z"})
    changed = reader.current()
    assert changed is not first and "port_x" in changed.porting
    assert reader.current() is changed


def test_a_failed_write_changes_nothing(tmp_path):
    path = tmp_path / "s.json"
    store = Store(path)
    with pytest.raises(RuntimeError), store.write() as draft:
        draft.put_port({"id": "port_x", "numbers": []})
        raise RuntimeError("handler failed")
    assert not path.exists()
    assert store.current().porting == {}


def test_a_corrupt_state_file_is_a_clear_500(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with sandbox_api(path) as client:
        response = client.get("/api/v1/numbers")
    assert response.status_code == 500
    assert str(path) in response.json()["error"]["message"]


def test_the_file_holds_the_state_as_a_json_document_then_a_json_line_per_change(tmp_path):
    path = tmp_path / "plain.json"
    with sandbox_api(path) as client:
        number_id = purchase(client, "+14155550100").json()["data"]["id"]
        client.put(f"/api/v1/numbers/{number_id}", json={"label": "Support"})
    document, *changes = (json.loads(line) for line in path.read_text().splitlines())
    assert document["numbers"] == {} and document["format"] == "orbitctl-sandbox-state/2"
    assert [list(change["numbers"]) for change in changes] == [[number_id], [number_id]]
    assert changes[1]["numbers"][number_id]["label"] == "Support"
    assert [entry["method"] for change in changes for entry in change["audit"]] == ["POST", "PUT"]
    data = read_state(path)
    assert data["numbers"][number_id]["label"] == "Support"
    assert [entry["number_id"] for entry in data["audit"]] == [number_id, number_id]
    assert data == client.app.store.snapshot()


@pytest.mark.parametrize("released", [False, True])
def test_a_change_costs_a_line_and_the_lines_stay_bounded_by_the_state(tmp_path, monkeypatch, released):
    from orbitctl.sandbox import store as module

    monkeypatch.setattr(module, "REWRITE_AFTER", 5)
    path = tmp_path / "s.json"
    with sandbox_api(path) as client:
        numbers = available(client, 12)
        lengths = []
        for number in numbers:
            number_id = purchase(client, number).json()["data"]["id"]
            if released:
                client.delete(f"/api/v1/numbers/{number_id}")
            held = len(read_state(path)["numbers"])
            lines = len(path.read_text().splitlines())
            assert lines <= 1 + max(5, held)  # the document, then at most the bound
            lengths.append(lines)
    if released:  # two changes a number, the account empty: rewritten each time the lines reach the bound
        assert lengths[:3] == [3, 5, 1] and lengths.count(1) == 4
    else:  # one change a number: a line each, no more lines than numbers
        assert lengths == list(range(2, 14))
    data = read_state(path)
    assert sorted(record["number"] for record in data["numbers"].values()) == ([] if released else sorted(numbers))
    assert len(data["audit"]) == 12 * (2 if released else 1)
    assert data == Store(path).snapshot()


def test_a_torn_last_line_is_ignored_and_cut_off_before_the_next_change(tmp_path):
    path = tmp_path / "s.json"
    with sandbox_api(path) as client:
        first, second = available(client, 2)
        purchase(client, first)
        with open(path, "ab") as stream:  # an append cut short by a kill, longer than a line
            stream.write(b'{"next_seq": 9, "numbers": {"num_' + b"x" * 4096)
        assert sorted(r["number"] for r in read_state(path)["numbers"].values()) == [first]
        with sandbox_api(path) as other:  # another process, reading the file afresh
            assert purchase(other, second).status_code == 201
    assert sorted(r["number"] for r in read_state(path)["numbers"].values()) == sorted([first, second])
    assert all(line.endswith("}") for line in path.read_text().splitlines())
    assert b"xxxx" not in path.read_bytes()


def test_numbers_keep_their_purchase_order_through_the_appended_lines(tmp_path):
    """The listing's cursor resumes after a number's place in purchase order: a number configured
    or a porting request put later must not move it, for a process reading the file afresh."""
    path = tmp_path / "s.json"
    with sandbox_api(path) as client:
        numbers = available(client, 3)
        ids = [purchase(client, number).json()["data"]["id"] for number in numbers]
        client.put(f"/api/v1/numbers/{ids[0]}", json={"label": "first, configured last"})
        client.delete(f"/api/v1/numbers/{ids[1]}")
    assert len(path.read_text().splitlines()) > 1  # replayed from lines, not one document
    assert list(read_state(path)["numbers"]) == [ids[0], ids[2]] == list(Store(path).snapshot()["numbers"])
    with sandbox_api(path) as fresh:
        first = fresh.get("/api/v1/numbers", params={"limit": 1}).json()
        rest = fresh.get("/api/v1/numbers", params={"limit": 1, "cursor": first["meta"]["pagination"]["cursor"]}).json()
    assert [item["id"] for item in first["data"] + rest["data"]] == [ids[0], ids[2]]


def test_a_document_written_by_hand_over_several_lines_is_read_and_rewritten_at_the_first_change(tmp_path):
    path = tmp_path / "s.json"
    with sandbox_api(path) as client:
        first, second = available(client, 2)
        purchase(client, first)
    path.write_text(json.dumps(read_state(path), indent=2))  # several lines, no final line break
    with sandbox_api(path) as client:
        purchase(client, second)
    assert sorted(r["number"] for r in read_state(path)["numbers"].values()) == sorted([first, second])
    [document] = (json.loads(line) for line in path.read_text().splitlines())
    assert len(document["numbers"]) == 2


def test_a_damaged_appended_line_names_its_line(tmp_path):
    path = tmp_path / "s.json"
    with sandbox_api(path) as client:
        purchase(client, available(client, 1)[0])
    path.write_text(path.read_text() + '{"numbers": {}}\n')  # no next_seq
    store = Store(path)
    with pytest.raises(StateFileError, match=r"cannot read sandbox state .*: line 3: KeyError"):
        store.current()


def test_a_state_file_of_the_format_before_is_read_and_rewritten_at_the_first_change(tmp_path):
    path = tmp_path / "old.json"
    with sandbox_api(path) as client:
        first, second = available(client, 2)
        purchase(client, first)
    old = read_state(path)
    old["format"] = "orbitctl-sandbox-state/1"
    path.write_text(json.dumps(old) + "\n")  # one document, as orbitctl wrote it before
    with sandbox_api(path) as client:
        assert [item["number"] for item in client.get("/api/v1/numbers").json()["data"]] == [first]
        purchase(client, second)
    [document] = (json.loads(line) for line in path.read_text().splitlines())
    assert document["format"] == "orbitctl-sandbox-state/2"
    assert sorted(record["number"] for record in document["numbers"].values()) == sorted([first, second])


def test_the_state_file_is_created_on_first_use(tmp_path):
    path = tmp_path / ".orbitctl" / "sandbox.json"
    with sandbox_api(path) as client:
        assert not path.exists(), "creating the app touches nothing"
        assert client.get("/api/v1/numbers").status_code == 200
    assert read_state(path)["numbers"] == {} and read_state(path)["audit"] == []
