#!/usr/bin/env bash
# Installs what the tests need, starts their own PostgreSQL and libvirtd, runs every test project,
# and ends with one line: N passed, N failed[, N skipped].
set -euo pipefail
cd "$(dirname "$0")"
ROOT="$(pwd)"
source scripts/common.sh

require_root
install_packages postgresql libvirt0 libvirt-daemon libvirt-daemon-driver-qemu libvirt-daemon-system \
  libvirt-clients qemu-system-x86 qemu-utils chromium
require_dotnet
restore_npm

PG_DIR="$ROOT/.data/test-postgres"
start_postgres "$PG_DIR" "${VIRTWEB_TEST_PG_PORT:-55433}"
export VIRTWEB_TEST_POSTGRES="$PG_CONNECTION"
trap 'stop_postgres "$PG_DIR"' EXIT

ensure_libvirtd || die "libvirtd is needed for the qemu:///system tests"

RESULTS="$ROOT/.data/test-results"
rm -rf "$RESULTS"
mkdir -p "$RESULTS"

log "building"
dotnet build VirtWeb.sln -c Debug --nologo -v quiet

log "running the tests"
set +e
dotnet test VirtWeb.sln --no-build --nologo --logger "trx" --results-directory "$RESULTS" "$@"
test_status=$?
set -e

# One closing line summed over the test projects' trx files.
sum_counter() {
  local total=0 value file
  for file in "$RESULTS"/*.trx; do
    [ -f "$file" ] || continue
    value="$(grep -o "<Counters [^>]*" "$file" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0)"
    total=$((total + ${value:-0}))
  done
  echo "$total"
}
passed="$(sum_counter passed)"
failed="$(sum_counter failed)"
skipped="$(sum_counter notExecuted)"
projects="$(find tests -name '*.csproj' | wc -l)"
reports="$(find "$RESULTS" -name '*.trx' | wc -l)"
if [ "$test_status" != 0 ] && [ "$failed" = 0 ]; then
  # A test host that crashed or a project that never reported: count it, never pass silently.
  log "dotnet test failed ($test_status) with $reports of $projects reports and no failed test recorded"
  failed=1
fi

summary="$passed passed, $failed failed"
[ "$skipped" != 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" = 0 ]
