"""The container files agree with each other and with the docs: the image's pg_dump/pg_restore have the
compose server's PostgreSQL major version, compose cannot fall back to a default database password, the
seller's catalogue is mounted, a configuration error does not restart the bot forever, metrics stay on the
host, the image has the speed extra, and the build context holds no secrets or local state."""

import fnmatch
import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
# postgresql-client's major version in each Debian release (the `postgresql-client` metapackage)
DEBIAN_POSTGRESQL_CLIENT = {"bullseye": 13, "bookworm": 15, "trixie": 17}


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def _base_image() -> str:
    (line,) = [ln for ln in (DEPLOY / "Dockerfile").read_text().splitlines() if ln.startswith("FROM ")]
    return line.split()[1]


def test_the_base_image_pins_a_debian_release() -> None:
    image = _base_image()
    match = re.fullmatch(r"python:3\.11-slim-(\w+)", image)
    assert match is not None, f"{image} follows whatever Debian release is current"
    assert match[1] in DEBIAN_POSTGRESQL_CLIENT


def test_the_image_installs_the_speed_extra() -> None:
    """The container is how most sellers run the shop: it gets the faster event loop and Redis parser
    that EVENT_LOOP=auto and redis-py pick up when installed (docs/performance.md)."""
    installs = [
        ln for ln in (DEPLOY / "Dockerfile").read_text().splitlines() if ln.startswith("RUN pip install")
    ]
    assert installs == ["RUN pip install '.[speed]' && rm -rf /app/src /app/build"]
    speed = re.search(r"^speed = \[(.*)\]$", (ROOT / "pyproject.toml").read_text(), re.MULTILINE)
    assert speed is not None
    assert "uvloop" in speed[1] and "hiredis" in speed[1]


def test_pg_dump_in_the_image_matches_the_compose_postgres() -> None:
    codename = _base_image().rsplit("-", 1)[1]
    client_major = DEBIAN_POSTGRESQL_CLIENT[codename]
    server = _compose()["services"]["postgres"]["image"]
    assert re.fullmatch(r"postgres:\d+(\.\d+)?(-\w+)?", server), server
    assert int(server.split(":")[1].split(".")[0].split("-")[0]) == client_major
    # and the docs say so
    operations = (ROOT / "docs" / "operations.md").read_text()
    assert f"`pg_dump`/`pg_restore` {client_major}" in operations
    assert f"PostgreSQL {client_major}" in operations


def test_compose_has_no_default_database_password() -> None:
    compose = _compose()
    shop_url = compose["x-shop"]["environment"]["DATABASE_URL"]
    server_password = compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"]
    for value in (shop_url, server_password):
        assert "${POSTGRES_PASSWORD:?" in value, value
        assert ":-" not in value
    assert "--env-file .env" in (DEPLOY / "docker-compose.yml").read_text().split("name:")[0]


def test_compose_mounts_the_sellers_catalogue() -> None:
    shop = _compose()["x-shop"]
    target = shop["environment"]["CATALOGUE_FILE"]
    (mount,) = [v for v in shop["volumes"] if isinstance(v, dict) and v.get("target") == target]
    assert mount["type"] == "bind" and mount["read_only"] is True
    assert mount["bind"]["create_host_path"] is False  # a missing file is an error, not an empty directory
    assert (DEPLOY / mount["source"]).resolve() == ROOT / "catalogue.toml"


def test_the_bot_does_not_restart_forever_and_publishes_only_on_localhost() -> None:
    bot = _compose()["services"]["bot"]
    policy = bot["restart"]
    assert re.fullmatch(r"on-failure:\d+", policy), policy
    assert all(str(port).startswith("127.0.0.1:") for port in bot["ports"])
    shop = _compose()["x-shop"]["environment"]
    assert f"127.0.0.1:{shop['METRICS_PORT']}:{shop['METRICS_PORT']}" in bot["ports"]


def _ignored(path: str, patterns: list[str]) -> bool:
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.removeprefix("!")
        candidates = {pattern, pattern.removeprefix("**/")}
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(p, c) or fnmatch.fnmatch(parts[-1], c) for p in prefixes for c in candidates):
            ignored = not negate
    return ignored


def test_the_build_context_leaves_out_secrets_and_local_state() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]
    for path in (
        ".env",
        ".env.production",
        ".venv/bin/python",
        "backups/remnastore-20250101-030000Z.tar.gz",
        "test-artifacts/screenshots/a.png",
        "remnastore.sqlite3",
        ".git/config",
        "catalogue.toml",
        "src/remnastore/__pycache__/cli.cpython-311.pyc",
    ):
        assert _ignored(path, patterns), path
    # what the Dockerfile copies stays in
    for path in ("pyproject.toml", "README.md", "LICENSE", "src/remnastore/cli.py", ".env.example"):
        assert not _ignored(path, patterns), path
    copied = re.findall(r"^COPY (.+) \S+$", (DEPLOY / "Dockerfile").read_text(), re.M)
    assert copied == ["pyproject.toml README.md LICENSE", "src"]
