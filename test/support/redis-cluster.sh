#!/usr/bin/env bash
# Starts (or reuses) a local three-master Redis Cluster on loopback for the cluster test run.
#   test/support/redis-cluster.sh start   -> prints the REDIS_URL to use
#   test/support/redis-cluster.sh stop
set -euo pipefail
PORTS=(${LITECAST_CLUSTER_PORTS:-7101 7102 7103})
DIR="${LITECAST_CLUSTER_DIR:-/tmp/litecast-cluster}"
url="redis+cluster://$(printf '127.0.0.1:%s,' "${PORTS[@]}" | sed 's/,$//')"

cluster_ok() { redis-cli -p "${PORTS[0]}" cluster info 2>/dev/null | grep -q 'cluster_state:ok'; }

case "${1:-start}" in
  start)
    if cluster_ok; then echo "$url"; exit 0; fi
    mkdir -p "$DIR"
    for port in "${PORTS[@]}"; do
      redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
      rm -f "$DIR/nodes-$port.conf"
      redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file "nodes-$port.conf" \
        --cluster-node-timeout 5000 --dir "$DIR" --save "" --appendonly no --daemonize yes --logfile "$DIR/redis-$port.log"
    done
    for port in "${PORTS[@]}"; do
      for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    done
    redis-cli --cluster create $(printf '127.0.0.1:%s ' "${PORTS[@]}") --cluster-replicas 0 --cluster-yes >"$DIR/create.log" 2>&1
    for _ in $(seq 1 100); do cluster_ok && break; sleep 0.1; done
    cluster_ok || { echo "cluster did not become ready; see $DIR" >&2; exit 1; }
    echo "$url"
    ;;
  stop)
    for port in "${PORTS[@]}"; do redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; done
    ;;
esac
