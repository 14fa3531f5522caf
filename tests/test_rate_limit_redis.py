"""Sign-in throttling counts in Redis when configured, so all workers share it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_is_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_is_up() and not os.environ.get("CI"),
                    reason="no Redis on 127.0.0.1:6379")
def test_failed_sign_ins_are_counted_in_redis(tmp_path):
    import redis

    email = f"redis-{uuid.uuid4().hex[:8]}@example.org"
    result = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("redis_throttle_check.py")),
         f"sqlite:///{tmp_path}/redis.sqlite3", REDIS_URL, email],
        capture_output=True, text=True, timeout=120, check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    storage, *codes = result.stdout.split()[-7:]
    assert storage == "RedisStorage"
    assert codes == ["200"] * 5 + ["429"]
    keys = redis.Redis.from_url(REDIS_URL).keys("*portal-test*")
    assert any(email.encode() in key for key in keys)
