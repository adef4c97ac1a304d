#!/usr/bin/env bash
# Runs the docker-compose topology as plain processes: one PostgreSQL and N platform nodes (default 2) that
# form one Orleans cluster through ADO.NET clustering on that database.
#
#   deploy/local-cluster.sh start [--nodes N] [--dir DIR] [--http-base P] [--silo-base P] [--gateway-base P]
#   deploy/local-cluster.sh stop  [--dir DIR]
#   deploy/local-cluster.sh kill NODE_INDEX [--dir DIR]      (kill -9, for failure tests)
#   deploy/local-cluster.sh stop-node NODE_INDEX [--dir DIR] (SIGTERM and wait: a graceful leave, for rolling restarts)
#   deploy/local-cluster.sh restart-node NODE_INDEX [--dir DIR] [ports…]
#   deploy/local-cluster.sh status [--dir DIR]
#
# Node i listens on http://127.0.0.1:$((http-base+i-1)). With ConnectionStrings__Postgres set, that server is
# used; otherwise a private PostgreSQL is started in DIR/pg. CLOUDFRAN_HOST_DLL skips the Release build.
set -euo pipefail
cd "$(dirname "$0")/.."

cmd="${1:-start}"; shift || true
nodes=2; dir="$PWD/.cloudfran/cluster"; http_base=5101; silo_base=11121; gateway_base=30021; node=""
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --http-base) http_base="$2"; shift 2 ;;
    --silo-base) silo_base="$2"; shift 2 ;;
    --gateway-base) gateway_base="$2"; shift 2 ;;
    *) node="$1"; shift ;;
  esac
done
mkdir -p "$dir"

host_dll() {
  if [ -n "${CLOUDFRAN_HOST_DLL:-}" ]; then echo "$CLOUDFRAN_HOST_DLL"; return; fi
  source scripts/prereqs.sh >&2
  dotnet build src/CloudFran.Host/CloudFran.Host.csproj -c Release -nologo -clp:ErrorsOnly >&2
  echo "$PWD/src/CloudFran.Host/bin/Release/net10.0/CloudFran.Host.dll"
}

start_node() { # index
  local i="$1" dll="$2" cs="$3"
  local http=$((http_base + i - 1)) silo=$((silo_base + i - 1)) gw=$((gateway_base + i - 1))
  ConnectionStrings__Postgres="$cs" \
  CLOUDFRAN_NODE_NAME="node$i" CLOUDFRAN_SILO_PORT="$silo" CLOUDFRAN_GATEWAY_PORT="$gw" \
  CLOUDFRAN_CLUSTER_ID="${CLOUDFRAN_CLUSTER_ID:-local-cluster}" \
  ASPNETCORE_URLS="http://127.0.0.1:$http" \
    nohup dotnet "$dll" >"$dir/node$i.log" 2>&1 &
  echo $! >"$dir/node$i.pid"
  echo "$http" >"$dir/node$i.port"
}

wait_healthy() { # index
  local i="$1" port; port=$(cat "$dir/node$i.port")
  for _ in $(seq 1 120); do
    if curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1; then echo "node$i up on http://127.0.0.1:$port"; return 0; fi
    if ! kill -0 "$(cat "$dir/node$i.pid")" 2>/dev/null; then echo "node$i exited:" >&2; tail -20 "$dir/node$i.log" >&2; return 1; fi
    sleep 0.5
  done
  echo "node$i did not become healthy" >&2; return 1
}

case "$cmd" in
  start)
    dll=$(host_dll)
    cs="${ConnectionStrings__Postgres:-}"
    if [ -z "$cs" ]; then
      cs=$(dotnet "$dll" db start "$dir/pg")
      echo "$dir/pg" >"$dir/owned-db"
    fi
    echo "$cs" >"$dir/connection-string"; chmod 600 "$dir/connection-string"
    echo "$nodes" >"$dir/nodes"
    for i in $(seq 1 "$nodes"); do start_node "$i" "$dll" "$cs"; done
    for i in $(seq 1 "$nodes"); do wait_healthy "$i"; done
    ;;
  restart-node)
    dll=$(host_dll)
    start_node "$node" "$dll" "$(cat "$dir/connection-string")"
    wait_healthy "$node"
    ;;
  kill)
    kill -9 "$(cat "$dir/node$node.pid")"
    ;;
  stop-node)
    pid=$(cat "$dir/node$node.pid"); kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    ;;
  stop)
    for pidfile in "$dir"/node*.pid; do
      [ -f "$pidfile" ] || continue
      pid=$(cat "$pidfile"); kill -TERM "$pid" 2>/dev/null || true
    done
    for pidfile in "$dir"/node*.pid; do
      [ -f "$pidfile" ] || continue
      pid=$(cat "$pidfile")
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      rm -f "$pidfile"
    done
    if [ -f "$dir/owned-db" ]; then
      dotnet "${CLOUDFRAN_HOST_DLL:-$PWD/src/CloudFran.Host/bin/Release/net10.0/CloudFran.Host.dll}" db stop "$(cat "$dir/owned-db")"
      rm -f "$dir/owned-db"
    fi
    echo "stopped"
    ;;
  status)
    for pidfile in "$dir"/node*.pid; do
      [ -f "$pidfile" ] || continue
      n=$(basename "$pidfile" .pid); port=$(cat "$dir/$n.port")
      printf '%s pid %s: ' "$n" "$(cat "$pidfile")"; curl -s "http://127.0.0.1:$port/health" || echo "down"; echo
    done
    ;;
  *) echo "usage: $0 start|stop|kill N|restart-node N|status [options]" >&2; exit 2 ;;
esac
