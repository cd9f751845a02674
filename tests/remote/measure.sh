#!/bin/sh
# tests/remote/measure.sh - the cost of going remote, as quoted in the
# README's "Scaling out": query latency for one compacted index, 3 local
# shards (--shard K/3 dirs through one stub) and the same 3 shards on
# xapian-tcpsrv (127.0.0.1), in one run. bench-sou-query times each query
# alone inside one process (parse + run + top 10 with snippets), after an
# untimed warm-up pass; the query file is repeated ROUNDS times.
# usage: tests/remote/measure.sh BUILD-DIR [QUERIES] [ROUNDS] [CORPUS]
set -eu
B=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
Q=${2:-$SRC/tests/remote/queries.txt}
ROUNDS=${3:-30}
CORPUS=${4:-$SRC/corpus/sample}
W=$(mktemp -d)
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT INT TERM
"$B/indexer/sou-index" --index "$W/one" --compact --quiet "$CORPUS"
for k in 0 1 2; do
  "$B/indexer/sou-index" --index "$W/s$k" --shard $k/3 --stub "$W/local.stub" --quiet "$CORPUS"
done
for k in 0 1 2; do
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  xapian-tcpsrv --port "$port" --interface 127.0.0.1 --quiet "$W/s$k/sou.stub" >/dev/null 2>&1 &
  PIDS="$PIDS $!"
  echo "remote 127.0.0.1:$port" >> "$W/remote.stub"
done
sleep 1
i=0; while [ $i -lt "$ROUNDS" ]; do cat "$Q"; i=$((i + 1)); done > "$W/q.txt"
for cfg in one local.stub remote.stub; do
  "$B/bench/query/bench-sou-query" --warmup ${LIMIT:+--limit $LIMIT} "$W/q.txt" "$W/$cfg" | cut -f2 > "$W/$cfg.ns"
done
python3 - "$W" <<'PY'
import sys, statistics
w = sys.argv[1]
def pct(v, p):
    v = sorted(v); return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]
rows = []
for cfg, name in (("one", "one compacted index"), ("local.stub", "3 local shards"),
                  ("remote.stub", "3 shards on xapian-tcpsrv")):
    ns = [int(x) / 1e6 for x in open(f"{w}/{cfg}.ns")]
    rows.append((name, len(ns), pct(ns, 50), pct(ns, 90), pct(ns, 99)))
base = rows[0]
print("| layout | queries timed | p50 ms | p90 ms | p99 ms | p50 / one | p99 / one |")
print("|---|---|---|---|---|---|---|")
for name, n, p50, p90, p99 in rows:
    print(f"| {name} | {n} | {p50:.3f} | {p90:.3f} | {p99:.3f} | {p50 / base[2]:.2f} | {p99 / base[4]:.2f} |")
PY
