"""First-start demo data: one app registration, a public and a private creator with a past."""

from __future__ import annotations

import hashlib
import json
import random
import secrets

from .db import Database
from .settings import ALL_SCOPES

DEMO_REDIRECT_URIS = ["http://127.0.0.1:*/callback/", "http://localhost:*/callback/"]
PUBLIC_USERNAME = "demo.creator"
PRIVATE_USERNAME = "demo.private"
_CAPTIONS = (
    "Morning routine in 30 seconds #routine",
    "Three editing tricks nobody told you #edit",
    "Street food tour, part {n} #food",
    "Trying the viral recipe #cooking",
    "Before / after colour grade #colorgrade",
    "Tiny studio tour #setup",
    "Answering your questions #qna",
    "Sunset timelapse #timelapse",
    "Day {n} of learning guitar #guitar",
    "POV: the render finished #creator",
)


def _id(seed: int, label: str) -> str:
    return "-000" + hashlib.sha256(f"{seed}:{label}".encode()).hexdigest()[:28]


def seed_demo(db: Database, seed: int, now: float) -> None:
    """Idempotent: runs once per data directory."""
    if db.meta("seeded") is not None:
        return
    rng = random.Random(seed)
    client_key = "sbaw" + secrets.token_hex(6)
    accounts = [
        (
            _id(seed, "public"),
            PUBLIC_USERNAME,
            "Demo Creator",
            "Short edits and studio tips.",
            0,
            1,
            12_400,
            183,
            600,
        ),
        (_id(seed, "private"), PRIVATE_USERNAME, "Demo Private", "Friends only.", 1, 0, 340, 95, 180),
    ]
    with db.tx() as conn:
        conn.execute(
            "INSERT INTO apps(client_key, client_secret, name, redirect_uris, scopes) VALUES(?, ?, ?, ?, ?)",
            (
                client_key,
                secrets.token_urlsafe(24),
                "Creator Studio (demo)",
                json.dumps(DEMO_REDIRECT_URIS),
                ",".join(ALL_SCOPES),
            ),
        )
        for open_id, username, name, bio, private, verified, followers, following, max_dur in accounts:
            conn.execute(
                "INSERT INTO accounts(open_id, union_id, username, display_name, bio, is_private, is_verified,"
                " base_followers, following_count, max_duration_s) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    open_id,
                    "u" + open_id[4:],
                    username,
                    name,
                    bio,
                    private,
                    verified,
                    followers,
                    following,
                    max_dur,
                ),
            )
        seq = 0
        for (open_id, *_rest), count, privacy in (
            (accounts[0], 28, "PUBLIC_TO_EVERYONE"),
            (accounts[1], 6, "FOLLOWER_OF_CREATOR"),
        ):
            for _ in range(count):
                seq += 1
                age_s = rng.uniform(0.5, 75) * 86_400
                created = int((now - age_s) * 1000)
                level = "SELF_ONLY" if rng.random() < 0.08 else privacy
                title = rng.choice(_CAPTIONS).format(n=rng.randint(2, 9))
                video_id = str(7_300_000_000_000_000_000 + seq * 1_000_003 + seed % 1_000_003)
                conn.execute(
                    "INSERT INTO videos(id, open_id, create_time_ms, title, duration, width, height, privacy_level)"
                    " VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
                    (video_id, open_id, created, title, rng.randint(8, 58), 1080, 1920, level),
                )
        conn.execute("INSERT INTO meta(key, value) VALUES('seq:video', ?)", (str(seq),))
        conn.execute("INSERT INTO meta(key, value) VALUES('seeded', ?)", (str(now),))
