#!/usr/bin/env bash
# Sets up everything VirtWeb needs on Debian 12 and serves it on http://127.0.0.1:5080.
# A second run reuses the database, the packages and the build, and is serving within seconds.
set -euo pipefail
cd "$(dirname "$0")"
ROOT="$(pwd)"
source scripts/common.sh

# Redis is needed only by several instances (README "Several instances"); one process alone runs without it.
CLUSTER_ON=false
case "${Cluster__Enabled:-}" in [Tt]rue|1) CLUSTER_ON=true ;; esac
if [ "$CLUSTER_ON" = true ]; then
  prepare_machine redis-server
else
  prepare_machine
fi
restore_npm

PG_DIR="$ROOT/.data/postgres"
if [ -z "${ConnectionStrings__VirtWeb:-}" ]; then
  start_postgres "$PG_DIR" "${VIRTWEB_PG_PORT:-55432}"
  export ConnectionStrings__VirtWeb="$PG_CONNECTION;Database=virtweb"
  trap 'stop_postgres "$PG_DIR"' EXIT
else
  log "using the PostgreSQL of ConnectionStrings__VirtWeb"
fi

REDIS_DIR="$ROOT/.data/redis"
if [ "$CLUSTER_ON" = true ] && [ -z "${Cluster__Redis:-}" ]; then
  start_redis "$REDIS_DIR" "${VIRTWEB_REDIS_PORT:-56380}"
  export Cluster__Redis="$REDIS_CONNECTION"
  trap 'stop_postgres "$PG_DIR"; stop_redis "$REDIS_DIR"' EXIT
fi

ensure_service_user
ensure_libvirtd || true

if [ -n "${VIRTWEB_ADMIN_PASSWORD:-}" ]; then
  export Bootstrap__AdminPassword="$VIRTWEB_ADMIN_PASSWORD"
fi

# Publish only when a source changed since the last publish.
APP_DIR="$ROOT/.data/app"
STAMP="$APP_DIR/.published"
if [ ! -f "$STAMP" ] || [ -n "$(find src migrations wwwroot appsettings.json Directory.Build.props Directory.Packages.props \
    -newer "$STAMP" -type f -not -path '*/bin/*' -not -path '*/obj/*' -print -quit)" ]; then
  log "building VirtWeb"
  dotnet publish src/VirtWeb/VirtWeb.csproj -c Release -o "$APP_DIR" --nologo -v quiet -p:UseAppHost=false
  touch "$STAMP"
fi

# The app itself never runs as root: it serves as the unprivileged virtweb user (see README, "Least privilege").
make_traversable_for_service_user "$APP_DIR"
log "serving VirtWeb as the $VIRTWEB_USER user on ${VIRTWEB_URLS:-http://127.0.0.1:5080} (Ctrl+C stops it and the private PostgreSQL)"
cd "$APP_DIR"
set +e
as_service_user dotnet VirtWeb.dll ${VIRTWEB_URLS:+--urls "$VIRTWEB_URLS"}
status=$?
set -e
# Ctrl+C ends the app with 130 or 0; either is a normal stop.
[ "$status" = 130 ] && status=0
exit "$status"
