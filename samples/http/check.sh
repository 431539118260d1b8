#!/usr/bin/env bash
# Asks a dubbo-go server for the health of a service over plain HTTP/JSON.
# Usage: check.sh [ADDR] [SERVICE]   (defaults: 127.0.0.1:20000 greet.GreetService)
set -euo pipefail
addr=${1:-127.0.0.1:20000}
service=${2:-greet.GreetService}
curl -sS -X POST -H 'Content-Type: application/json' \
  -d "{\"service\":\"${service}\"}" \
  "http://${addr}/grpc.health.v1.Health/Check"
echo
