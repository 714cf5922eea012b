"""Registration is limited per mailbox as well as per IP: rotating client addresses cannot
make sign-up mail one address again and again."""

import pytest
from django.core import mail

from users.models import User
from users.throttles import _mailbox

pytestmark = pytest.mark.django_db

PASSWORD = "s3cure-Passw0rd!"


def register(client, n: int, email: str, ip: str):
    return client.post(
        "/api/v1/auth/register/",
        {"username": f"probe{n}", "email": email, "password": PASSWORD},
        format="json",
        REMOTE_ADDR=ip,
    )


def test_one_mailbox_from_many_addresses_is_limited(
    api_client, queued_tasks, django_capture_on_commit_callbacks
):
    spellings = [
        "victim@example.com",
        "VICTIM@example.com",
        " victim+1@Example.com",
        "victim+news@example.com",
        "Victim+x@EXAMPLE.COM",
    ]
    for n, email in enumerate(spellings):
        with django_capture_on_commit_callbacks(execute=True):
            response = register(api_client, n, email, ip=f"10.9.0.{n + 1}")
        assert response.status_code == 201, response.json()
    mails_queued = len(queued_tasks())
    response = register(api_client, 99, "victim+again@example.com", ip="10.9.1.1")
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert response.json()["errors"][0]["code"] == "throttled"
    assert not User.objects.filter(username="probe99").exists()
    assert len(queued_tasks()) == mails_queued  # nothing more to send
    assert mail.outbox == []
    # Another mailbox, even from the same last address, is not affected.
    assert register(api_client, 100, "someone.else@example.com", ip="10.9.1.1").status_code == 201


def test_requests_without_a_usable_address_are_left_to_the_serializer(api_client):
    for n in range(8):
        response = api_client.post(
            "/api/v1/auth/register/",
            {"username": f"noaddr{n}", "email": ["a@example.com"], "password": PASSWORD},
            format="json",
            REMOTE_ADDR=f"10.8.0.{n + 1}",
        )
        assert response.status_code == 400  # a validation error, never a 429 or a 500


@pytest.mark.parametrize(
    ("address", "mailbox"),
    [
        ("Ada@Example.com", "ada@example.com"),
        (" ada+tag+more@example.com ", "ada@example.com"),
        ("a@b@example.com", "a@b@example.com"),
        ("@example.com", "example.com"),
    ],
)
def test_mailbox_normalisation(address, mailbox):
    assert _mailbox(address) == mailbox
