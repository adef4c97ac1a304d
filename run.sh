#!/usr/bin/env bash
# Brings the platform up on http://127.0.0.1:5080 (override with ASPNETCORE_URLS).
# Without ConnectionStrings__Postgres it runs a private PostgreSQL in ./.cloudfran/pg (CLOUDFRAN_DATA_DIR).
# On the first start it creates a demo tenant and prints its admin key and a curl command.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/prereqs.sh

dotnet build src/CloudFran.Host/CloudFran.Host.csproj -c Release -nologo -clp:ErrorsOnly

export ASPNETCORE_URLS="${ASPNETCORE_URLS:-http://127.0.0.1:5080}"
export CLOUDFRAN_SEED_DEMO="${CLOUDFRAN_SEED_DEMO:-true}"
export CLOUDFRAN_DEMO_FILE="${CLOUDFRAN_DEMO_FILE:-$PWD/.cloudfran/demo-credentials.txt}"
if [ -z "${ConnectionStrings__Postgres:-}" ]; then
  export CLOUDFRAN_DATA_DIR="${CLOUDFRAN_DATA_DIR:-$PWD/.cloudfran/pg}"
  mkdir -p "$CLOUDFRAN_DATA_DIR"
  # As root the database runs as 'postgres', which must be able to reach the data folder.
  if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$(dirname "$CLOUDFRAN_DATA_DIR")"; then
    echo "note: the postgres user cannot reach $CLOUDFRAN_DATA_DIR; using /var/lib/cloudfran/pg instead" >&2
    export CLOUDFRAN_DATA_DIR=/var/lib/cloudfran/pg
    mkdir -p "$CLOUDFRAN_DATA_DIR"
  fi
fi

exec dotnet src/CloudFran.Host/bin/Release/net10.0/CloudFran.Host.dll
