def schedules() -> list[dict]:
    return [
        {
            "name": "users: flush expired refresh tokens",
            "task": "users.flush_expired_tokens",
            "crontab": {"minute": 17, "hour": 3},
            "description": "Keeps the token blacklist tables small.",
        }
    ]
