#!/usr/bin/env bash
# make demo: builds the sample server, starts it, asks it for health every
# way (Triple client, grpc-go client, curl, grpc-health-probe), then stops it
# with SIGTERM and shows what an open Watch saw on the way down. It needs go
# and curl: grpc-health-probe is the one pinned in tools/go.mod, built by
# go tool (nothing is installed).
# Exits non-zero when a step does not show what it should.
# PORT picks the port (default: the first free one from 20000).
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -9 "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "demo: FAILED: $*" >&2; [ -f "$work/server.log" ] && tail -20 "$work/server.log" >&2; exit 1; }
step() { printf '\n== %s (%ds)\n' "$*" "$SECONDS"; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=${PORT:-}
if [ -z "$port" ]; then
  port=20000
  while ! port_free "$port"; do port=$((port + 1)); done
fi
addr=127.0.0.1:$port

step "build the samples and grpc-health-probe"
# go tool builds the pinned probe (tools/go.mod) while the samples build.
go -C tools tool -n grpc-health-probe >"$work/probe.path" 2>"$work/probe.err" &
probe_build=$!
go build -o "$work/" ./samples/go-server ./samples/go-client ./samples/grpc-client
wait "$probe_build" || { cat "$work/probe.err" >&2; fail "could not build grpc-health-probe (go -C tools tool -n grpc-health-probe)"; }
probe=$(cat "$work/probe.path")
echo "built go-server, go-client, grpc-client; grpc-health-probe: $probe"

step "start samples/go-server on $addr"
"$work/go-server" -port "$port" >"$work/server.log" 2>&1 &
server_pid=$!
deadline=$((SECONDS + 60))
until out=$(bash samples/http/check.sh "$addr" "" 2>/dev/null) && [ "$out" = '{"status":"SERVING"}' ]; do
  kill -0 "$server_pid" 2>/dev/null || fail "the server exited"
  [ $SECONDS -lt $deadline ] || fail "the server did not serve within 60s"
  sleep 0.2
done
echo "serving (pid $server_pid)"

step "Triple client (samples/go-client): Check and Watch"
out=$("$work/go-client" -addr "tri://$addr" 2>/dev/null | grep -v '^[0-9]')
echo "$out"
[ "$(grep -c "^\[greet.GreetService's health status:SERVING\]$" <<<"$out")" = 2 ] || fail "go-client did not print SERVING twice"

step "grpc-go client (samples/grpc-client)"
out=$("$work/grpc-client" -addr "$addr")
echo "$out"
[ "$out" = "check greet.GreetService: SERVING" ] || fail "grpc-client did not see SERVING"

step "curl (samples/http/check.sh)"
out=$(bash samples/http/check.sh "$addr" greet.GreetService)
echo "$out"
[ "$out" = '{"status":"SERVING"}' ] || fail "curl did not see SERVING"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  -d '{"service":"no.such.Service"}' "http://$addr/grpc.health.v1.Health/Check")
echo "unknown service: HTTP $code"
[ "$code" = 404 ] || fail "unknown service did not answer 404"

step "grpc-health-probe"
"$probe" -addr "$addr" -service greet.GreetService || fail "grpc-health-probe failed"

step "SIGTERM with an open Watch"
"$work/grpc-client" -addr "$addr" -watch >"$work/watch.out" 2>&1 &
watch_pid=$!
deadline=$((SECONDS + 30))
until grep -q "^watch greet.GreetService: SERVING" "$work/watch.out"; do
  [ $SECONDS -lt $deadline ] || fail "the Watch did not start"
  sleep 0.1
done
kill -TERM "$server_pid"
wait "$watch_pid" || true
wait "$server_pid" || true
server_pid=""
cat "$work/watch.out"
grep -q "^watch greet.GreetService: NOT_SERVING$" "$work/watch.out" || fail "the Watch did not see NOT_SERVING"
grep -q "stream ended: Unavailable" "$work/watch.out" || fail "the Watch did not end"

printf '\ndemo: all steps showed what they should (%ds).\n' "$SECONDS"
