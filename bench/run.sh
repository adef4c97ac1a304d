#!/usr/bin/env bash
# Starts the platform (Release, its own throwaway PostgreSQL) and runs every benchmark scenario, printing one
# table: scenario, req/s, p50, p99, errors, baseline, ratio, target. Usage: bench/run.sh [--quick] [--only a,b]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prereqs.sh

dotnet build src/CloudFran.Host/CloudFran.Host.csproj -c Release -nologo -clp:ErrorsOnly
dotnet build bench/CloudFran.Bench/CloudFran.Bench.csproj -c Release -nologo -clp:ErrorsOnly

port="${BENCH_PORT:-5090}"
data="$(mktemp -d /tmp/cloudfran-bench-XXXXXX)"
chmod 755 "$data"
admin_key="sk_admin_bench$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
log="$data/platform.log"

CLOUDFRAN_DATA_DIR="$data/pg" CLOUDFRAN_BENCH_ROUTES=true CLOUDFRAN_BOOTSTRAP_ADMIN_KEY="$admin_key" \
CLOUDFRAN_ADMIN_RPM=1000000 CLOUDFRAN_SILO_PORT=21111 CLOUDFRAN_GATEWAY_PORT=40000 \
CLOUDFRAN_TWILIO_BASE_URL=http://127.0.0.1:5091 CLOUDFRAN_WEBHOOKS_ALLOW_PRIVATE=true \
ASPNETCORE_URLS="http://127.0.0.1:$port" Logging__LogLevel__Default=Warning \
  dotnet src/CloudFran.Host/bin/Release/net10.0/CloudFran.Host.dll >"$log" 2>&1 &
pid=$!
cleanup() { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT

for _ in $(seq 1 120); do
  if curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then cat "$log"; echo "platform exited" >&2; exit 1; fi
  sleep 0.5
done

CLOUDFRAN_BENCH_PG_ROOT="$data/pg" dotnet bench/CloudFran.Bench/bin/Release/net10.0/CloudFran.Bench.dll --url "http://127.0.0.1:$port" --admin-key "$admin_key" "$@"
