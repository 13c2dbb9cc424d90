#!/usr/bin/env bash
# Build the image with a container engine (docker or podman) and try it as a seller would: pg_dump/pg_restore
# of the compose server's major version, `remnastore check`, `migrate`, `backup` and `restore` against a
# PostgreSQL server (a scratch database is created and dropped), everything inside the container.
#
#   bash scripts/container_smoke.sh                    # `make container-smoke`
#
# Environment:
#   ENGINE          docker or podman (default: whichever is installed, podman first)
#   ENGINE_RUN_ARGS extra arguments for `run` (e.g. podman in a restricted sandbox:
#                   "--runtime runc --ulimit nofile=1024:20000 --ulimit nproc=4096:4096" before `run`:
#                   see ENGINE_GLOBAL_ARGS)
#   ENGINE_GLOBAL_ARGS arguments before the engine's subcommand (e.g. "--runtime runc" for podman)
#   BASE_IMAGE      build on this image instead of the Dockerfile's FROM (podman's --from), e.g. a local
#                   Debian 12 image with python3.11 when Docker Hub cannot be reached
#   PG_URL          an administrative PostgreSQL URL reachable from the host network
#                   (default postgresql://postgres@127.0.0.1:5432/postgres)
set -euo pipefail
cd "$(dirname "$0")/.."

ENGINE="${ENGINE:-$(command -v podman >/dev/null && echo podman || echo docker)}"
read -r -a GLOBAL <<<"${ENGINE_GLOBAL_ARGS:-}"
read -r -a RUN_EXTRA <<<"${ENGINE_RUN_ARGS:-}"
PG_URL="${PG_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
IMAGE="remnastore-smoke:latest"
DB="remnastore_smoke_$$"
WORK="$(mktemp -d)"
trap 'psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT

build=("$ENGINE" "${GLOBAL[@]}" build --network host -f deploy/Dockerfile -t "$IMAGE")
[ -n "${BASE_IMAGE:-}" ] && build+=(--from "$BASE_IMAGE")
echo "== build: ${build[*]}"
"${build[@]}" "${RUN_EXTRA[@]}" . >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; exit 1; }

run() { "$ENGINE" "${GLOBAL[@]}" run --rm --network host "${RUN_EXTRA[@]}" "$@"; }

echo "== pg_dump / pg_restore in the image against the compose server's major version"
want="$(sed -n 's/^ *image: postgres:\([0-9]*\).*/\1/p' deploy/docker-compose.yml)"
for tool in pg_dump pg_restore; do
  got="$(run --entrypoint "$tool" "$IMAGE" --version | sed -n 's/.*(PostgreSQL) \([0-9]*\).*/\1/p')"
  echo "$tool $got (compose: postgres:$want)"
  [ "$got" = "$want" ] || { echo "$tool $got does not match postgres:$want" >&2; exit 1; }
done

psql "$PG_URL" -qc "CREATE DATABASE $DB"
DATABASE_URL="${PG_URL%/*}/$DB"
mkdir -p "$WORK/backups" && chmod 777 "$WORK/backups"
shop=(-e "DATABASE_URL=$DATABASE_URL" -e BACKUP_DIR=/app/backups -v "$WORK/backups:/app/backups" "$IMAGE")

echo "== remnastore check (settings valid; Telegram and the panel are not reachable from here)"
set +e
run -e BOT_TOKEN=123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA -e PANEL_URL=http://127.0.0.1:9 -e PANEL_TOKEN=t \
  -e TELEGRAM_API_URL=http://127.0.0.1:9 -e ADMIN_IDS=1 "${shop[@]}" check | tee "$WORK/check.log"
set -e
grep -q "^database  *OK" "$WORK/check.log"

echo "== migrate, backup, restore (only DATABASE_URL and BACKUP_DIR set)"
run "${shop[@]}" migrate
run "${shop[@]}" backup
archive="$(cd "$WORK/backups" && ls remnastore-*.tar.gz | head -1)"
run "${shop[@]}" restore "/app/backups/$archive" --yes
echo "container smoke test passed"
