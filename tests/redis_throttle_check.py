"""Run by test_rate_limit_redis.py in its own process, because the limiter's
storage is chosen once per process: sign-in throttling with Redis storage."""

import sys

from flask_migrate import upgrade

from portal import create_app
from portal.auth.models import Role, RoleGrant, User
from portal.db import db
from portal.extensions import limiter

database_url, redis_url, email = sys.argv[1:4]
app = create_app({
    "TESTING": True, "SECRET_KEY": "x", "WTF_CSRF_ENABLED": False,
    "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_STORAGE_URI": redis_url,
    "RATELIMIT_KEY_PREFIX": "portal-test", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
})
with app.app_context():
    upgrade()
    user = User(name="Redis Check", email=email, role_grants=[RoleGrant(role=Role.MEMBER)])
    user.set_password("the right password")
    db.session.add(user)
    db.session.commit()
    limiter.reset()
client = app.test_client()
codes = [client.post("/sign-in", data={"identifier": email, "password": "a wrong password"})
         .status_code for _ in range(6)]
print(type(limiter.storage).__name__, *codes)
