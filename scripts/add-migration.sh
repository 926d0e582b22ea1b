#!/usr/bin/env bash
# Adds an EF Core migration to the top-level migrations/ folder: scripts/add-migration.sh NameOfChange
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 1 ] || { echo "usage: $0 NameOfChange" >&2; exit 2; }
dotnet tool restore >/dev/null
# The design-time host only needs a connection string that parses; nothing connects to it.
ConnectionStrings__VirtWeb="Host=localhost;Database=virtweb_design" \
  dotnet dotnet-ef migrations add "$1" --project src/VirtWeb --output-dir ../../migrations --namespace VirtWeb.Migrations
# EF places a new model snapshot by namespace (src/VirtWeb/VirtWeb/Migrations); keep it beside the migrations.
if [ -d src/VirtWeb/VirtWeb ]; then
  find src/VirtWeb/VirtWeb -name '*ModelSnapshot.cs' -exec mv {} migrations/ \;
  rm -rf src/VirtWeb/VirtWeb
fi
