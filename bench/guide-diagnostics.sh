#!/usr/bin/env bash
# The guide's "Quick Diagnostics" done by hand, in sequence, against the same stack the bot checks
# (corrected to target-system.md: token key in DB 2 with the allthrive:1: prefix, SCAN not KEYS).
# Usage: guide-diagnostics.sh <backend url> <ws url> <redis url> <file with the access JWT> <ws-probe.js>
set -euo pipefail
URL=$1 WS=$2 REDIS=$3 JAR=$4 PROBE=$5
redis-cli -u "$REDIS" ping >/dev/null
curl -s -o /dev/null -w '%{http_code}\n' "$URL/api/v1/health/" >/dev/null
curl -s -o /dev/null -w '%{http_code}\n' "$URL/api/v1/db/health/" >/dev/null
# The login cookie is set for Domain=localhost (target-system §12), so curl's jar drops it on 127.0.0.1:
# the person copied the access JWT from the login response's Set-Cookie into a file and sends it as Bearer.
JWT=$(cat "$JAR")
TOKEN=$(curl -s -H "Authorization: Bearer $JWT" -X POST "$URL/api/v1/auth/ws-connection-token/" | sed -n 's/.*"connection_token": *"\([^"]*\)".*/\1/p')
[ ${#TOKEN} -eq 43 ] || { echo "no connection token" >&2; exit 1; }
[ "$(redis-cli -u "$REDIS" -n 2 EXISTS "allthrive:1:ws_conn_token:$TOKEN")" = 1 ]
redis-cli -u "$REDIS" -n 2 TTL "allthrive:1:ws_conn_token:$TOKEN" >/dev/null
node "$PROBE" "$WS/ws/chat/probe-$(date +%s)/?connection_token=$TOKEN" >/dev/null
redis-cli -u "$REDIS" -n 0 LLEN celery >/dev/null
for db in 0 2 3; do redis-cli -u "$REDIS" -n $db DBSIZE >/dev/null; done
redis-cli -u "$REDIS" -n 3 --scan --pattern 'asgi:group:chat_*' | wc -l >/dev/null
redis-cli -u "$REDIS" -n 2 --scan --pattern 'allthrive:1:ws_connections:user:*' | wc -l >/dev/null
curl -s "$URL/metricsmetrics" | grep -c django_http_ >/dev/null
