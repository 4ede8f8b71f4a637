#!/usr/bin/env bash
# Fault checks (issue 7), with debug builds, in a few minutes:
#   a. SQLite and PostgreSQL: under load the server is killed with SIGKILL (twice) and started
#      again on the same data; the load rides it out, then every case, journal chain, outbox
#      row and mail is checked (overdrag-bench verify).
#   b. PostgreSQL: under light load PostgreSQL is stopped for about 10 s. The API and /readyz
#      must answer 503 with a problem document, quickly; once PostgreSQL is back the same
#      server process must answer 200, and the load finish with no 500 and nothing lost.
#   c. Two server processes on one PostgreSQL database, each with its own mail worker, mailing
#      to one SMTP sink that keeps every delivery as its own file. Every transition is sent to
#      both servers at once (exactly one may win); then no lost update, no mail sent twice.
#   d. SQLite and PostgreSQL: `overdrag reform apply` on the demo data is killed with SIGKILL
#      as soon as it has carried a case, and run again: it carries the rest, a third run
#      carries nothing, and a server then delivers every mail about the move, once (verify).
# Each check prints what it saw. PostgreSQL must run on 127.0.0.1:5432 (.ci/run starts it);
# check b stops and starts it (the cluster of /etc/postgresql), and it is always started again.
#
#   scripts/faults.sh            # all checks
#   FAULTS_ONLY=b scripts/faults.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=target/debug
PG_ADMIN="${OVERDRAG_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PG_BASE="${PG_ADMIN%/*}"
PG_CLUSTER="$(ls /etc/postgresql 2>/dev/null | head -n 1)"
ONLY="${FAULTS_ONLY:-abcd}"
LIFECYCLES="${FAULTS_LIFECYCLES:-40}"
# Mail claimed by a killed server goes out again after this lease (default 600 s).
export OVERDRAG_MAIL_LEASE_SECONDS=10
# The mail rounds' log lines (info) count each server's mails in check c.
export OVERDRAG_LOG=info

work="$(mktemp -d /tmp/overdrag-faults.XXXXXX)"
started_pids=()
databases=()

say() { printf '%s\n' "$*"; }
fail() {
  say "FAULT CHECK FAILED: $*"
  exit 1
}

postgres_up() {
  pg_isready -h 127.0.0.1 -p 5432 -q
}

start_postgres() {
  postgres_up && return 0
  pg_ctlcluster --skip-systemctl-redirect "$PG_CLUSTER" main start
  for _ in $(seq 1 60); do postgres_up && return 0; sleep 0.5; done
  return 1
}

cleanup() {
  local status=$?
  for pid in "${started_pids[@]}"; do
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  start_postgres || say "PostgreSQL did not start again: start it by hand"
  for db in "${databases[@]}"; do
    psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  if [ "$status" -eq 0 ]; then
    rm -rf "$work"
  else
    say "the logs are kept in $work:"
    find "$work" -name '*.log' | while read -r log; do say "--- $log (last lines)"; tail -n 15 "$log"; done
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# new_database NAME: creates faults_NAME_<pid>, dropped at the end; its URL in $db_url.
new_database() {
  local name="faults_${1}_$$"
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null 2>&1
  psql "$PG_ADMIN" -qc "CREATE DATABASE $name"
  databases+=("$name")
  db_url="$PG_BASE/$name"
}

# start_server LOG PORT [VAR=value...]: starts `overdrag serve`, waits for /readyz; the pid is
# left in $server_pid.
start_server() {
  local log="$1" port="$2"
  shift 2
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    fail "something already listens on 127.0.0.1:$port; stop it first"
  fi
  env "$@" OVERDRAG_ADDR="127.0.0.1:$port" "$BIN/overdrag" serve >>"$log" 2>&1 &
  server_pid=$!
  started_pids+=("$server_pid")
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$server_pid" 2>/dev/null || fail "the server on port $port did not start (see $log)"
    sleep 0.5
  done
  fail "the server on port $port did not become ready (see $log)"
}

stop_server() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

mails_in() {
  find "$1" -maxdepth 1 -name '*.eml' 2>/dev/null | wc -l
}

# wait_for_mails DIR N: until the load has gone far enough that N mails were written.
wait_for_mails() {
  for _ in $(seq 1 240); do
    [ "$(mails_in "$1")" -ge "$2" ] && return 0
    sleep 0.25
  done
  fail "no $2 mails in $1 after 60 s: the load does not get on"
}

# finish_load PID LOG: waits for the load and prints what it saw; fails with it.
finish_load() {
  if wait "$1"; then
    sed 's/^/    /' "$2"
  else
    sed 's/^/    /' "$2"
    fail "the load failed (above)"
  fi
}

verify() {
  local url="$1" mail="$2"
  say "  overdrag-bench verify:"
  if ! "$BIN/overdrag-bench" verify --database "$url" --mail-dir "$mail" --wait-for-mail 90 | sed 's/^/    /'; then
    fail "verify found violations (above)"
  fi
}

# probe URL TOKEN: one GET; prints "status content-type seconds".
probe() {
  curl -s -o /dev/null --max-time 20 -H "Authorization: Bearer $2" \
    -w '%{http_code} %{content_type} %{time_total}' "$1" || true
}

say "== Fault checks (work directory $work)"
cargo build -q -p overdrag -p overdrag-bench
postgres_up || fail "PostgreSQL does not answer on 127.0.0.1:5432"
[ -n "$PG_CLUSTER" ] || fail "no PostgreSQL cluster under /etc/postgresql to stop and start"

# --- a. SIGKILL under load -------------------------------------------------------------------
kill_check() {
  local backend="$1" port=18301 url
  local data="$work/kill-$backend"
  mkdir -p "$data"
  local server_env=(OVERDRAG_DATA_DIR="$data")
  if [ "$backend" = sqlite ]; then
    url="sqlite://$data/overdrag.db?mode=rwc"
  else
    new_database kill
    url="$db_url"
    server_env+=(DATABASE_URL="$url")
  fi
  say "== 5a. $backend: kill -9 the server twice under load, start it again on the same data"
  start_server "$data/server.log" "$port" "${server_env[@]}"
  "$BIN/overdrag-bench" http --database "$url" --target "http://127.0.0.1:$port" \
    --users 8 --lifecycles "$LIFECYCLES" --tolerate-faults >"$data/load.log" 2>&1 &
  local load=$!
  started_pids+=("$load")
  for at in 60 300; do
    wait_for_mails "$data/mail" "$at"
    kill -9 "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    say "  killed the server (SIGKILL) with $(mails_in "$data/mail") mails written; starting it again in 2 s"
    sleep 2
    start_server "$data/server.log" "$port" "${server_env[@]}"
  done
  finish_load "$load" "$data/load.log"
  verify "$url" "$data/mail"
  stop_server "$server_pid"
}

# --- b. PostgreSQL stopped and started --------------------------------------------------------
outage_check() {
  local port=18311 data="$work/outage" url token
  mkdir -p "$data"
  new_database outage
  url="$db_url"
  say "== 5b. PostgreSQL: stop it for about 10 s under light load; 503 with a problem document, then 200 from the same server"
  start_server "$data/server.log" "$port" OVERDRAG_DATA_DIR="$data" DATABASE_URL="$url"
  local pid="$server_pid"
  token="$(DATABASE_URL="$url" OVERDRAG_DATA_DIR="$data" "$BIN/overdrag" users add \
    --email probe@faults.invalid --name Probe --region midtjylland --role secretariat 2>/dev/null)"
  "$BIN/overdrag-bench" http --database "$url" --target "http://127.0.0.1:$port" \
    --users 2 --lifecycles 30 --tolerate-faults --patience 90 >"$data/load.log" 2>&1 &
  local load=$!
  started_pids+=("$load")
  wait_for_mails "$data/mail" 20
  local api="http://127.0.0.1:$port/api/v1/cases" ready="http://127.0.0.1:$port/readyz"
  say "  before: API $(probe "$api" "$token"), /readyz $(probe "$ready" "$token")"
  pg_ctlcluster --skip-systemctl-redirect "$PG_CLUSTER" main stop
  local stopped=$SECONDS bad=0 probes=0
  say "  PostgreSQL stopped"
  while [ $((SECONDS - stopped)) -lt 8 ]; do
    probe "$api" "$token" >"$data/api.probe" &
    local p1=$!
    probe "$ready" "$token" >"$data/ready.probe" &
    local p2=$!
    wait "$p1" "$p2"
    for what in api ready; do
      local seen
      seen="$(cat "$data/$what.probe")"
      probes=$((probes + 1))
      say "  while down, $what: $seen"
      read -r status type took <<<"$seen"
      if [ "$status" != 503 ] || [ "$type" != application/problem+json ] || [ "${took%%.*}" -ge 5 ]; then
        bad=$((bad + 1))
      fi
    done
  done
  start_postgres || fail "PostgreSQL did not start again"
  local down=$((SECONDS - stopped))
  say "  PostgreSQL started again after ${down} s"
  [ "$bad" -eq 0 ] || fail "$bad of $probes requests during the outage were not a quick 503 with a problem document"
  local back=""
  for _ in $(seq 1 60); do
    if [ "$(probe "$api" "$token" | cut -d' ' -f1)" = 200 ] && [ "$(probe "$ready" "$token" | cut -d' ' -f1)" = 200 ]; then
      back=$((SECONDS - stopped - down))
      break
    fi
    sleep 0.5
  done
  [ -n "$back" ] || fail "the server did not answer 200 within 30 s of PostgreSQL's return"
  kill -0 "$pid" 2>/dev/null || fail "the server process is gone"
  say "  after: API $(probe "$api" "$token"), /readyz $(probe "$ready" "$token"), within ${back} s, the same process (pid $pid)"
  finish_load "$load" "$data/load.log"
  if grep -q "request failed\|page failed" "$data/server.log"; then
    grep "request failed\|page failed" "$data/server.log" | head -n 5
    fail "the server logged internal errors (500) during the outage"
  fi
  say "  server log: $(grep -c 'database unavailable' "$data/server.log" || true) requests answered 503, none 500"
  verify "$url" "$data/mail"
  stop_server "$pid"
}

# --- c. Two servers on one PostgreSQL --------------------------------------------------------
two_servers_check() {
  local data="$work/two" url
  mkdir -p "$data"
  new_database two
  url="$db_url"
  say "== 5c. Two servers on one PostgreSQL database, each with its mail worker, mailing to one SMTP sink; every transition raced between them"
  if (exec 3<>/dev/tcp/127.0.0.1/18325) 2>/dev/null; then
    fail "something already listens on 127.0.0.1:18325; stop it first"
  fi
  "$BIN/overdrag-bench" smtp-sink --listen 127.0.0.1:18325 --dir "$data/mail" >"$data/sink.log" 2>&1 &
  started_pids+=("$!")
  local common=(DATABASE_URL="$url" SMTP_URL=smtp://127.0.0.1:18325)
  start_server "$data/a.log" 18321 "${common[@]}" OVERDRAG_DATA_DIR="$data/a"
  local a="$server_pid"
  start_server "$data/b.log" 18322 "${common[@]}" OVERDRAG_DATA_DIR="$data/b"
  local b="$server_pid"
  "$BIN/overdrag-bench" http --database "$url" --target http://127.0.0.1:18321 \
    --target http://127.0.0.1:18322 --users 8 --lifecycles "$LIFECYCLES" --race >"$data/load.log" 2>&1 &
  local load=$!
  started_pids+=("$load")
  finish_load "$load" "$data/load.log"
  verify "$url" "$data/mail"
  for server in a b; do
    local sent overtaken
    sent="$(grep -o 'sent: [0-9]*' "$data/$server.log" | awk '{s += $2} END {print s + 0}')"
    overtaken="$(grep -o 'overtaken: [0-9]*' "$data/$server.log" | awk '{s += $2} END {print s + 0}')"
    say "  server $server's mail worker sent $sent mails, and left $overtaken to the other when its lease ran out"
  done
  stop_server "$a"
  stop_server "$b"
}

# --- d. The reform's carrying killed halfway ---------------------------------------------------
reform_check() {
  local backend="$1" url data="$work/reform-$1"
  mkdir -p "$data"
  local run_env=(OVERDRAG_DATA_DIR="$data")
  if [ "$backend" = sqlite ]; then
    url="sqlite://$data/overdrag.db?mode=rwc"
  else
    new_database reform
    url="$db_url"
    run_env+=(DATABASE_URL="$url")
  fi
  say "== 5d. $backend: kill -9 \`overdrag reform apply\` after its first case, run it again"
  env "${run_env[@]}" "$BIN/overdrag" demo >"$data/demo.log" 2>&1
  env "${run_env[@]}" "$BIN/overdrag" reform apply --on 2027-01-01 >"$data/apply1.out" 2>"$data/apply1.log" &
  local apply=$!
  for _ in $(seq 1 4000); do
    grep -q "carried across the reform" "$data/apply1.log" 2>/dev/null && break
    kill -0 "$apply" 2>/dev/null || break
    sleep 0.005
  done
  kill -9 "$apply" 2>/dev/null || true
  wait "$apply" 2>/dev/null || true
  local before
  before="$(grep -c "carried across the reform" "$data/apply1.log" || true)"
  if grep -q "case(s) carried" "$data/apply1.out"; then
    say "  the first run finished before the kill ($before cases); the rerun must carry nothing"
  else
    say "  killed the first run (SIGKILL) after $before case(s) carried"
  fi
  env "${run_env[@]}" "$BIN/overdrag" reform apply --on 2027-01-01 >"$data/apply2.out" 2>>"$data/apply2.log" \
    || fail "the second run failed: $(cat "$data/apply2.log")"
  say "  second run: $(tail -n 1 "$data/apply2.out")"
  env "${run_env[@]}" "$BIN/overdrag" reform apply --on 2027-01-01 >"$data/apply3.out" 2>>"$data/apply3.log"
  grep -q "^0 case(s) carried, 0 could not go" "$data/apply3.out" || fail "a third run carried again: $(cat "$data/apply3.out")"
  env "${run_env[@]}" "$BIN/overdrag" reform plan --on 2027-01-01 >"$data/plan.out" 2>/dev/null
  grep -q "^0 open case(s) to carry" "$data/plan.out" || fail "cases left after the runs: $(cat "$data/plan.out")"
  say "  third run: $(tail -n 1 "$data/apply3.out")"
  start_server "$data/server.log" 18341 "${run_env[@]}"
  verify "$url" "$data/mail"
  stop_server "$server_pid"
}

case "$ONLY" in *a*) kill_check sqlite; kill_check postgres ;; esac
case "$ONLY" in *b*) outage_check ;; esac
case "$ONLY" in *c*) two_servers_check ;; esac
case "$ONLY" in *d*) reform_check sqlite; reform_check postgres ;; esac
say "== Fault checks passed"
