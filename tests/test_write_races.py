"""Writers racing each other through a real server: no update is lost, none is applied twice.

The app runs under uvicorn in a background thread on a free localhost port, against the
test database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set). Several clients, lined
up by a barrier, send their writes at the same moment; exactly one wins and the record
shows the winner's change, whole.
"""

import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine
from write_helpers import (
    MERGE_PATCH,
    PALADIN_SERVICE,
    Key,
    make_key,
    phone_numbers,
)

from api.app import create_app
from api.settings import Settings
from models.api_key import Role
from models.base import stable_id

WRITERS = 8
TIMEOUT = 60.0  # seconds any one race may take, end to end
SERVICE = f"/v1/services/{PALADIN_SERVICE}"
PALADIN = str(stable_id("organization", "paladin-national-stalking-advocacy-service"))


@dataclass
class Server:
    base_url: str
    admins: list[Key]
    partner: Key

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=TIMEOUT)

    def get(self, path: str, key: Key | None = None) -> httpx.Response:
        with self.client() as client:
            return client.get(path, headers=key.headers if key else {})

    def etag(self, path: str) -> str:
        response = self.get(path)
        assert response.status_code == 200
        return response.headers["etag"]

    def feed(self, after: int = 0) -> list[dict[str, Any]]:
        response = self.get(f"/v1/changes?after={after}&limit=1000")
        assert response.status_code == 200
        changes: list[dict[str, Any]] = response.json()["changes"]
        return changes

    def cursor(self) -> int:
        response = self.get("/v1/changes?after=0&limit=1000")
        return int(response.json()["next_cursor"])


@pytest.fixture
def server(seeded_engine: Engine) -> Iterator[Server]:
    app = create_app(Settings(database_url=str(seeded_engine.url)), engine=seeded_engine)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    admins = [make_key(seeded_engine, f"Racing Admin {i}", Role.admin) for i in range(WRITERS)]
    partner = make_key(seeded_engine, "Paladin Editor", Role.partner, PALADIN)
    try:
        yield Server(f"http://127.0.0.1:{port}", admins, partner)
    finally:
        uv.should_exit = True
        thread.join(timeout=20)
        sock.close()
        assert not thread.is_alive(), "the server did not stop"


Attempt = Callable[[httpx.Client], httpx.Response]


def race(server: Server, attempts: list[Attempt]) -> list[httpx.Response]:
    """Run every attempt at the same moment, each from its own thread and connection."""
    barrier = threading.Barrier(len(attempts), timeout=TIMEOUT)
    clients = [server.client() for _ in attempts]
    for client in clients:  # connect first, so the barrier lines up the requests themselves
        assert client.get("/v1/").status_code == 200

    def run(i: int) -> httpx.Response:
        barrier.wait()
        return attempts[i](clients[i])

    try:
        with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
            futures = [pool.submit(run, i) for i in range(len(attempts))]
            responses = [future.result(timeout=TIMEOUT) for future in futures]
    finally:
        for client in clients:
            client.close()
    for response in responses:
        assert response.status_code < 500, response.text
    return responses


def statuses(responses: list[httpx.Response]) -> list[int]:
    return [response.status_code for response in responses]


def patch(path: str, body: dict[str, Any], key: Key, etag: str) -> Attempt:
    headers = {**key.headers, "If-Match": etag, "Content-Type": MERGE_PATCH}
    return lambda client: client.patch(path, json=body, headers=headers)


def approve(request_id: str, key: Key) -> Attempt:
    path = f"/v1/change_requests/{request_id}/approve"
    return lambda client: client.post(path, headers=key.headers)


def number(i: int) -> str:
    return f"0808 802 03{i:02d}"


def test_concurrent_patches_with_one_etag_let_exactly_one_win(server: Server) -> None:
    etag = server.etag(SERVICE)
    cursor = server.cursor()
    bodies = [
        {"name": f"Writer {i}", "phones": [{"number": number(i), "type": "voice"}]}
        for i in range(WRITERS)
    ]
    attempts = [patch(SERVICE, bodies[i], server.admins[i], etag) for i in range(WRITERS)]
    responses = race(server, attempts)

    codes = statuses(responses)
    assert sorted(codes) == [200] + [412] * (WRITERS - 1), codes
    winner = codes.index(200)
    response = responses[winner]
    final = server.get(SERVICE)
    assert final.json() == response.json()
    assert final.headers["etag"] == response.headers["etag"]
    # The winner's change, whole: its name and its number, nobody else's.
    assert final.json()["name"] == f"Writer {winner}"
    assert phone_numbers(final.json()) == [number(winner)]
    mine = [e for e in server.feed(after=cursor) if e["resource_id"] == PALADIN_SERVICE]
    assert [e["action"] for e in mine] == ["updated"]
    assert mine[0]["record"] == final.json()
    history = server.get(f"{SERVICE}/history?per_page=1000", server.admins[0]).json()
    assert history["contents"][-1]["actor"] == server.admins[winner].name
    assert [e["action"] for e in history["contents"]] == ["created", "updated"]


def test_retire_verify_and_patch_racing_leave_one_outcome(server: Server) -> None:
    etag = server.etag(SERVICE)
    cursor = server.cursor()
    admin = server.admins

    def verify(key: Key) -> Attempt:
        return lambda client: client.post(
            f"{SERVICE}/verify", headers={**key.headers, "If-Match": etag}
        )

    def retire(key: Key) -> Attempt:
        return lambda client: client.delete(SERVICE, headers={**key.headers, "If-Match": etag})

    kinds = ["patch", "patch", "patch", "verify", "verify", "retire", "retire", "patch"]
    attempts = [
        patch(SERVICE, {"name": f"Writer {i}"}, admin[i], etag)
        if kind == "patch"
        else verify(admin[i])
        if kind == "verify"
        else retire(admin[i])
        for i, kind in enumerate(kinds)
    ]
    codes = statuses(race(server, attempts))

    winners = [i for i, status in enumerate(codes) if status in (200, 204)]
    assert len(winners) == 1, codes
    (winner,) = winners
    losers = [status for i, status in enumerate(codes) if i != winner]
    if kinds[winner] == "retire":
        assert set(losers) <= {404, 412}, codes
        assert server.get(SERVICE).status_code == 404
        expected = ["deleted"]
    else:
        assert set(losers) == {412}, codes
        body = server.get(SERVICE).json()
        if kinds[winner] == "patch":
            assert body["name"] == f"Writer {winner}" and "assured_date" not in body
            expected = ["updated"]
        else:
            assert "assured_date" in body and not body["name"].startswith("Writer")
            expected = ["verified"]
    mine = [e for e in server.feed(after=cursor) if e["resource_id"] == PALADIN_SERVICE]
    assert [e["action"] for e in mine] == expected


def held_request(server: Server) -> str:
    headers = {**server.partner.headers, "If-Match": server.etag(SERVICE)}
    headers["Content-Type"] = MERGE_PATCH
    with server.client() as client:
        response = client.patch(
            SERVICE, json={"phones": [{"number": "0800 111 2222"}]}, headers=headers
        )
    assert response.status_code == 202, response.text
    request_id: str = response.json()["id"]
    return request_id


def test_admins_approving_one_request_at_once_apply_it_once(server: Server) -> None:
    request_id = held_request(server)
    cursor = server.cursor()
    codes = statuses(race(server, [approve(request_id, key) for key in server.admins]))

    assert sorted(codes) == [200] + [409] * (WRITERS - 1), codes
    winner = server.admins[codes.index(200)]
    request = server.get(f"/v1/change_requests/{request_id}", winner).json()
    assert request["status"] == "approved" and request["decided_by"] == winner.name
    assert phone_numbers(server.get(SERVICE).json()) == ["0800 111 2222"]
    mine = [e for e in server.feed(after=cursor) if e["resource_id"] == PALADIN_SERVICE]
    assert [e["action"] for e in mine] == ["updated"]


def test_two_admins_approving_at_once_one_wins(server: Server) -> None:
    request_id = held_request(server)
    attempts = [approve(request_id, key) for key in server.admins[:2]]
    assert sorted(statuses(race(server, attempts))) == [200, 409]
    assert phone_numbers(server.get(SERVICE).json()) == ["0800 111 2222"]


def test_an_approval_racing_a_rejection_and_an_edit_has_one_outcome(server: Server) -> None:
    request_id = held_request(server)
    etag = server.etag(SERVICE)
    cursor = server.cursor()
    admin = server.admins
    reject_path = f"/v1/change_requests/{request_id}/reject"
    attempts = [
        approve(request_id, admin[0]),
        lambda client: client.post(reject_path, json={"reason": "No."}, headers=admin[1].headers),
        patch(SERVICE, {"phones": [{"number": "0800 333 4444"}]}, admin[2], etag),
    ]
    outcome = tuple(statuses(race(server, attempts)))

    # The request is decided once, and the approval and the edit cannot both apply: either
    # the approval wins (and the edit is stale), or it fails and the request is rejected.
    assert outcome in ((200, 409, 412), (409, 200, 200)), outcome
    request = server.get(f"/v1/change_requests/{request_id}", admin[0]).json()
    numbers = phone_numbers(server.get(SERVICE).json())
    if outcome[0] == 200:
        assert request["status"] == "approved" and numbers == ["0800 111 2222"]
    else:
        assert request["status"] == "rejected" and numbers == ["0800 333 4444"]
    mine = [e for e in server.feed(after=cursor) if e["resource_id"] == PALADIN_SERVICE]
    assert [e["action"] for e in mine] == ["updated"]
