def schedules() -> list[dict]:
    return [
        {
            "name": "recommendations: nightly model build",
            "task": "recommendations.build_model",
            "crontab": {"minute": 30, "hour": 3},
            "description": "Fits the collaborative model on all listening data and swaps it "
            "in; then refreshes the picks of recently active listeners.",
        },
        {
            "name": "recommendations: hourly picks refresh",
            "task": "recommendations.refresh_active_users",
            "crontab": {"minute": 10},
            "description": "Recomputes the picks of listeners active in the last 7 days.",
        },
    ]
