"""Parallel requests that race for one unique value get a 400, never a 500 (issue 11).

Real concurrency: threads, each with its own database connection, released together by a
barrier, on a database whose transactions really commit (``transaction=True``). One round
may not interleave badly; many rounds do (the 500s showed within a few rounds before)."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from catalog.models import Artist
from users.models import User
from users.tests.factories import ArtistUserFactory, EditorFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6
ROUNDS = 8


def in_parallel(requests) -> list[tuple[int, dict]]:
    """Run each ``request()`` in its own thread, all released at once; (status, body) each."""
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def run(index, request):
        try:
            barrier.wait()
            response = request()
            results[index] = (response.status_code, response.json() if response.content else None)
        except Exception as exc:  # the test client re-raises what would have been a 500
            results[index] = (500, repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, r)) for n, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def bearer(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def post(path, body, *, user=None, ip="127.0.0.1"):
    """A request to run later in a thread (its own client, so its own credentials)."""
    return lambda: (bearer(user) if user else APIClient()).post(
        path, body, format="json", REMOTE_ADDR=ip
    )


def register(username, email, ip):
    body = {"username": username, "email": email, "password": "s3cure-Passw0rd!"}
    return post("/api/v1/auth/register/", body, ip=ip)


def test_parallel_registrations_of_one_username_give_one_201_and_400s():
    for round_ in range(ROUNDS):
        name = f"racer{round_}"
        results = in_parallel(
            [
                register(name.upper() if n % 2 else name, f"{name}{n}@example.com", f"10.9.0.{n}")
                for n in range(THREADS)
            ]
        )
        statuses = sorted(status for status, _ in results)
        assert statuses == [201] + [400] * (THREADS - 1), results
        assert {body["errors"][0]["code"] for status, body in results if status == 400} == {
            "unique"
        }
        assert User.objects.filter(username__iexact=name).count() == 1


def test_parallel_registrations_with_one_e_mail_all_succeed_without_it(monkeypatch):
    """The address is attached at confirmation, so registrations never fight over it."""
    from users.throttles import RegisterEmailThrottle

    # More sign-ups for one mailbox than its own limit allows (test_register_limits.py).
    monkeypatch.setattr(RegisterEmailThrottle, "rate", "100/h")
    results = in_parallel(
        [register(f"mailracer{n}", "same@example.com", f"10.8.0.{n}") for n in range(THREADS)]
    )
    assert [status for status, _ in results] == [201] * THREADS, results


def test_parallel_confirmations_of_one_address_give_one_204_and_400s():
    from users.services import email_confirmation_token
    from users.tests.factories import UserFactory

    for round_ in range(ROUNDS):
        email = f"contested{round_}@example.com"
        users = [UserFactory(email="") for _ in range(THREADS)]
        tokens = [email_confirmation_token(user=user, email=email) for user in users]
        results = in_parallel(
            [
                post("/api/v1/auth/email/confirm/", {"token": token}, ip=f"10.7.{round_}.{n}")
                for n, token in enumerate(tokens)
            ]
        )
        statuses = sorted(status for status, _ in results)
        assert statuses == [204] + [400] * (THREADS - 1), results
        assert User.objects.filter(email__iexact=email).count() == 1


def test_parallel_artists_with_one_name_all_get_their_own_slug():
    editor = EditorFactory()
    for round_ in range(ROUNDS):
        name = f"Same Name {round_}"
        results = in_parallel(
            [post("/api/v1/artists/", {"name": name}, user=editor) for _ in range(THREADS)]
        )
        assert [status for status, _ in results] == [201] * THREADS, results
        slugs = list(Artist.objects.filter(name=name).values_list("slug", flat=True))
        assert len(set(slugs)) == THREADS


def test_parallel_profile_creation_by_one_artist_account_gives_one_201_and_400s():
    for round_ in range(ROUNDS):
        account = ArtistUserFactory()
        results = in_parallel(
            [
                post("/api/v1/artists/", {"name": f"Me {round_}.{n}"}, user=account)
                for n in range(THREADS)
            ]
        )
        statuses = sorted(status for status, _ in results)
        assert statuses == [201] + [400] * (THREADS - 1), results
        assert Artist.objects.filter(user=account).count() == 1
