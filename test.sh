#!/usr/bin/env bash
# Installs what the tests need, starts their own PostgreSQL and libvirtd, runs every test project,
# and ends with one line: N passed, N failed[, N skipped].
set -euo pipefail
cd "$(dirname "$0")"
ROOT="$(pwd)"
source scripts/common.sh

prepare_machine chromium e2fsprogs iproute2 redis-server
restore_npm

PG_DIR="$ROOT/.data/test-postgres"
start_postgres "$PG_DIR" "${VIRTWEB_TEST_PG_PORT:-55433}"
export VIRTWEB_TEST_POSTGRES="$PG_CONNECTION"
# The database-outage tests stop and start this cluster themselves.
export VIRTWEB_TEST_PG_DIR="$PG_DIR"
REDIS_DIR="$ROOT/.data/test-redis"
trap 'stop_postgres "$PG_DIR"; stop_redis "$REDIS_DIR"' EXIT
# The several-instances tests share one Redis as they share one PostgreSQL.
start_redis "$REDIS_DIR" "${VIRTWEB_TEST_REDIS_PORT:-56379}"
export VIRTWEB_TEST_REDIS="$REDIS_CONNECTION"

ensure_service_user
ensure_libvirtd || die "libvirtd is needed for the qemu:///system tests"

log "building the tiny test guest (cached in .data/guest)"
VIRTWEB_TEST_GUEST_DIR="$(tests/guest/build-guest.sh "$ROOT" | tail -n 1)"
export VIRTWEB_TEST_GUEST_DIR

LOG="$ROOT/.data/test-output.log"
mkdir -p "$ROOT/.data"

# The end-to-end tests run as the VirtWeb user, and a development build serves Blazor's framework scripts straight
# from the NuGet package folder: keep the packages where that user can read them (root's home is closed to it).
export NUGET_PACKAGES=/var/cache/virtweb/nuget
mkdir -p "$NUGET_PACKAGES"
chmod 755 /var/cache/virtweb "$NUGET_PACKAGES"

log "building"
dotnet build VirtWeb.sln -c Debug --nologo -v quiet

log "running the tests"
set +e
: > "$LOG"
test_status=0
# One project at a time: the libvirtd fault test kills the daemon the other projects' tests use.
for project in tests/*/*.csproj; do
  [[ "$project" == */VirtWeb.EndToEnd.csproj ]] && continue
  dotnet test "$project" --no-build --nologo "$@" 2>&1 | tee -a "$LOG"
  [ "${PIPESTATUS[0]}" = 0 ] || test_status=1
done
# The end-to-end suite drives the app as ./run.sh serves it: from the unprivileged VirtWeb user, not root.
make_traversable_for_service_user "$ROOT"
as_service_user dotnet test tests/VirtWeb.EndToEnd/VirtWeb.EndToEnd.csproj --no-build --nologo "$@" 2>&1 | tee -a "$LOG"
[ "${PIPESTATUS[0]}" = 0 ] || test_status=1
set -e

trap - EXIT
stop_postgres "$PG_DIR"
stop_redis "$REDIS_DIR"

# One closing line summed over the per-project summaries ("Passed!  - Failed: 0, Passed: 23, Skipped: 0, ...").
sum_counter() {
  grep -oE "(Passed|Failed)! +- Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+" "$LOG" \
    | sed -E "s/.*Failed: +([0-9]+), Passed: +([0-9]+), Skipped: +([0-9]+)/\\$1/" \
    | awk '{ total += $1 } END { print total + 0 }'
}
failed="$(sum_counter 1)"
passed="$(sum_counter 2)"
skipped="$(sum_counter 3)"
if [ "$test_status" != 0 ] && [ "$failed" = 0 ]; then
  # A test host that crashed or a project that never reported: count it, never pass silently.
  log "dotnet test exited with $test_status without a failed test in its summaries; counting that as a failure"
  failed=1
fi

summary="$passed passed, $failed failed"
if [ "$skipped" != 0 ]; then
  summary="$summary, $skipped skipped"
fi
echo "$summary"
[ "$failed" = 0 ]
