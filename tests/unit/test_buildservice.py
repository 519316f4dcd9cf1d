"""The build service's pure parts: the fingerprint that tells a stale service, and the relay that
keeps a build going when its client leaves."""
import io
import json
import socket

from govlake import buildservice
from govlake.config import resolve


def _settings(tmp_path, **env):
    return resolve({"GOVLAKE_INSTANCE": str(tmp_path / "i"), "HOME": str(tmp_path), **env}, root=tmp_path)


def test_the_fingerprint_follows_the_code_and_the_settings(tmp_path):
    (tmp_path / "govlake").mkdir()
    (tmp_path / "jobs" / "sub").mkdir(parents=True)
    code = tmp_path / "jobs" / "sub" / "gold.py"
    code.write_text("X = 1\n")
    s = _settings(tmp_path)
    first = buildservice.fingerprint(s, root=tmp_path)
    assert buildservice.fingerprint(_settings(tmp_path), root=tmp_path) == first
    (tmp_path / "jobs" / "notes.md").write_text("not code")
    assert buildservice.fingerprint(s, root=tmp_path) == first
    code.write_text("X = 2\n")
    changed = buildservice.fingerprint(s, root=tmp_path)
    assert changed != first
    other = _settings(tmp_path, GOVLAKE_SPARK_DRIVER_MEMORY="5g")
    assert buildservice.fingerprint(other, root=tmp_path) not in (first, changed)


def test_the_relay_sends_the_output_and_outlives_its_client():
    ours, theirs = socket.socketpair()
    log = io.StringIO()
    relay = buildservice._Relay(ours, log)
    relay.write("[govlake] 基础库构建\n")
    got = json.loads(theirs.makefile("r", encoding="utf-8").readline())
    assert got == {"out": "[govlake] 基础库构建\n"}
    theirs.close()
    for _ in range(50):  # the peer is gone: sends fail, the build's prints must not
        relay.write("x" * 10000 + "\n")
    assert relay.lost
    assert log.getvalue().startswith("[govlake] 基础库构建\n") and log.getvalue().count("x" * 10000) == 50
    ours.close()


def test_a_service_busy_building_is_reported_busy_not_dead(tmp_path):
    """The service accepts the next connection only after a build: a ping meanwhile waits in the
    backlog. It must say "building" (so `gold-service.sh start` leaves it alone), not fail."""
    s = _settings(tmp_path)
    path = buildservice.socket_path(s)
    path.parent.mkdir(parents=True)
    busy = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    busy.bind(str(path))
    busy.listen(4)  # never accepts, like a service in the middle of a build
    try:
        assert buildservice.ping(s, timeout=0.5) == buildservice.BUSY
    finally:
        busy.close()
    assert buildservice.ping(s, timeout=0.5) == buildservice.NOT_RUNNING
