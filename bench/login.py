"""Login time before and after Argon2id (issue 11: "login takes 0.7-0.9 s today").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/music_platform \\
        .venv/bin/python bench/login.py [--rounds 15]

The database must be migrated (`make run` does it); the bench works inside a transaction that
it rolls back, so it leaves nothing behind. Rate limits are off for the run.

Printed, median and spread of ``--rounds`` logins each:
1. the password hasher alone (verify one password): PBKDF2-SHA256 as Django 5.2 sets it
   (1,000,000 iterations), Argon2id as Django sets it (t=2, 100 MiB, 8 lanes) and ours
   (users/hashers.py: OWASP's t=2, 19 MiB, 1 lane);
2. a whole ``POST /api/v1/auth/token/`` (lockout check, user lookup, hash check, tokens,
   last_login) through Django's test client, "before" (PBKDF2 first in PASSWORD_HASHERS, the
   old setting) and "after" (Argon2id first, the user's hash already Argon2id);
3. the one-off first login of a user still on PBKDF2 after the switch (verify PBKDF2, then
   rehash with Argon2id and save).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_platform.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "bench-login-only-" + "x" * 50)
os.environ["RATELIMIT_ENABLE"] = "0"

PBKDF2 = "django.contrib.auth.hashers.PBKDF2PasswordHasher"
DJANGO_ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"
ARGON2 = "users.hashers.Argon2idPasswordHasher"  # ours: OWASP parameters
PASSWORD = "bench-Passw0rd-long-enough"


def timed(fn, rounds: int) -> list[float]:
    fn()  # warm up (imports, connections)
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def show(label: str, samples: list[float]) -> None:
    ms = sorted(s * 1000 for s in samples)
    print(
        f"  {label:<44} median {statistics.median(ms):7.1f} ms"
        f"   min {ms[0]:7.1f}   max {ms[-1]:7.1f}   (n={len(ms)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.test import Client, override_settings

    from users.models import User

    print(f"Login time, {os.cpu_count()} CPUs, {args.rounds} rounds each")
    print(f"   load average before: {os.getloadavg()[0]:.2f}")
    print("1. hasher only (verify one password)")
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.utils.module_loading import import_string

    for name, hasher in (
        ("PBKDF2-SHA256, 1,000,000 rounds (before)", PBKDF2PasswordHasher()),
        ("Argon2id, Django's 100 MiB t=2 p=8", import_string(DJANGO_ARGON2)()),
        ("Argon2id, OWASP 19 MiB t=2 p=1 (after)", import_string(ARGON2)()),
    ):
        encoded = hasher.encode(PASSWORD, hasher.salt())
        show(name, timed(lambda h=hasher, e=encoded: h.verify(PASSWORD, e), args.rounds))

    client = Client(HTTP_HOST="localhost")

    def login() -> None:
        response = client.post(
            "/api/v1/auth/token/",
            {"username": "bench-login-user", "password": PASSWORD},
            content_type="application/json",
        )
        assert response.status_code == 200, response.status_code

    print("2. POST /api/v1/auth/token/ (whole request)")
    with transaction.atomic():
        user = User.objects.create(username="bench-login-user", email="")
        for label, hashers, algorithm in (
            ("before: PBKDF2 first, PBKDF2 hash", [PBKDF2, ARGON2], "pbkdf2_sha256"),
            ("after: Argon2id first, Argon2id hash", [ARGON2, PBKDF2], "argon2"),
        ):
            with override_settings(PASSWORD_HASHERS=hashers):
                User.objects.filter(pk=user.pk).update(
                    password=make_password(PASSWORD, hasher=algorithm)
                )
                show(label, timed(login, args.rounds))

        print("3. first login after the switch (PBKDF2 verify + Argon2id rehash)")
        samples = []
        with override_settings(PASSWORD_HASHERS=[ARGON2, PBKDF2]):
            for _ in range(max(3, args.rounds // 3)):
                User.objects.filter(pk=user.pk).update(
                    password=make_password(PASSWORD, hasher="pbkdf2_sha256")
                )
                start = time.perf_counter()
                login()
                samples.append(time.perf_counter() - start)
            user.refresh_from_db()
            assert user.password.startswith("argon2$argon2id$"), user.password[:20]
        show("upgrade login", samples)
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
