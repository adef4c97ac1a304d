#!/usr/bin/env bash
# Runs every benchmark scenario and prints ONE table (scenario, metric, value, baseline measured in the same run,
# ratio, target, pass/fail), then appends it with the date and a machine description to docs/benchmarks.md.
#
#   bench/run.sh [--quick] [--only name,name] [--no-append]
#
# Builds Release, starts a throwaway PostgreSQL (the host's `db start` helper) and one platform node on it
# (http://127.0.0.1:$BENCH_PORT, default 5090, bench-only routes on). Phase 1 scenarios load that node; phase 2
# scenarios (activation memory, cluster 1/2/3 nodes via deploy/local-cluster.sh, cold start) run afterwards and
# start nodes of their own on separate databases of the same PostgreSQL server. See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prereqs.sh

append=true
args=()
for a in "$@"; do
  if [ "$a" = "--no-append" ]; then append=false; else args+=("$a"); fi
done

dotnet build src/CloudFran.Host/CloudFran.Host.csproj -c Release -nologo -clp:ErrorsOnly
dotnet build bench/CloudFran.Bench/CloudFran.Bench.csproj -c Release -nologo -clp:ErrorsOnly
host_dll="$PWD/src/CloudFran.Host/bin/Release/net10.0/CloudFran.Host.dll"

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
port="${BENCH_PORT:-5090}"
data="$(mktemp -d /tmp/cloudfran-bench-XXXXXX)"
chmod 755 "$data"
admin_key="sk_admin_bench$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
log="$data/platform.log"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  dotnet "$host_dll" db stop "$data/pg" >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap cleanup EXIT

# One PostgreSQL server outside the platform process, so that the phase-2 scenarios can add nodes and databases.
pg="$(dotnet "$host_dll" db start "$data/pg")"

ConnectionStrings__Postgres="$pg" CLOUDFRAN_BENCH_ROUTES=true CLOUDFRAN_BOOTSTRAP_ADMIN_KEY="$admin_key" \
CLOUDFRAN_ADMIN_RPM=1000000 CLOUDFRAN_SILO_PORT=21111 CLOUDFRAN_GATEWAY_PORT=40000 CLOUDFRAN_CLUSTER_ID=bench \
CLOUDFRAN_TWILIO_BASE_URL=http://127.0.0.1:5091 CLOUDFRAN_WEBHOOKS_ALLOW_PRIVATE=true CLOUDFRAN_EMAIL_ALLOW_PRIVATE=true \
ASPNETCORE_URLS="http://127.0.0.1:$port" Logging__LogLevel__Default=Warning \
  dotnet "$host_dll" >"$log" 2>&1 &
pid=$!

for _ in $(seq 1 120); do
  if curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then cat "$log"; echo "platform exited" >&2; exit 1; fi
  sleep 0.5
done

table="$data/table.md"
rc=0
CLOUDFRAN_BENCH_DB="$pg" CLOUDFRAN_BENCH_POSTGRES="$pg" dotnet bench/CloudFran.Bench/bin/Release/net10.0/CloudFran.Bench.dll \
  --url "http://127.0.0.1:$port" --admin-key "$admin_key" --repo "$PWD" --host-dll "$host_dll" \
  --markdown-out "$table" ${args[@]+"${args[@]}"} || rc=$?

if [ "$append" = true ] && [ -s "$table" ]; then
  mem_gb=$(awk '/MemTotal/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
  cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
  os=$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-Linux}")
  pg_version=$(ls -d /usr/lib/postgresql/*/ 2>/dev/null | tail -1 | xargs -r basename)
  mode="full"; extra=()
  for a in ${args[@]+"${args[@]}"}; do if [ "$a" = "--quick" ]; then mode="quick"; else extra+=("$a"); fi; done
  {
    echo
    echo "## Run $(date -u '+%Y-%m-%d %H:%M UTC') ($mode${extra[*]:+, ${extra[*]}})"
    echo
    echo "Machine: $(nproc) cores (${cpu:-unknown CPU}), ${mem_gb} GB RAM, ${os}, kernel $(uname -r), .NET SDK $(dotnet --version), PostgreSQL ${pg_version:-?}. Load average (1/5/15 min) at start: ${load_before}; at end: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
    cat "$table"
  } >>docs/benchmarks.md
  echo "appended to docs/benchmarks.md"
fi
exit $rc
