#!/usr/bin/env bash
# Logs in to a running Overdrag with demo data, as a person would with a browser without
# JavaScript, and fetches the main screens of each role: each must answer 200 with the page
# that was asked for. Usage: scripts/pages-smoke.sh [base URL] (default http://127.0.0.1:8080)
set -euo pipefail
base="${1:-http://127.0.0.1:8080}"
region=syddanmark
failed=0

page() { # page JAR PATH EXPECTED-TEXT
  local body status
  body=$(mktemp)
  status=$(curl -sS -o "$body" -w '%{http_code}' -b "$1" -c "$1" "$base$2")
  if [ "$status" != 200 ] || ! grep -q "$3" "$body"; then
    echo "FAIL $2: HTTP $status, expected text \`$3\`"; failed=1
  elif grep -qi '<script' "$body"; then
    echo "FAIL $2: the page carries a script"; failed=1
  else
    echo "ok   $2"
  fi
  rm -f "$body"
}

login() { # login JAR EMAIL
  local form csrf
  form=$(curl -sS -b "$1" -c "$1" "$base/login")
  csrf=$(printf '%s' "$form" | grep -o 'name="csrf" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//')
  curl -sS -o /dev/null -b "$1" -c "$1" --data-urlencode "csrf=$csrf" \
    --data-urlencode "email=$2" --data-urlencode "password=demo" --data-urlencode "next=/" "$base/login"
}

as() { # as ROLE-PREFIX, then the pages; CASE in a path is the first case of the case list
  local jar case; jar=$(mktemp)
  login "$jar" "$1.$region@demo.overdrag.invalid"
  case=$(curl -sS -b "$jar" "$base/cases" | grep -o 'href="/cases/[0-9]*"' | head -n 1 | grep -o '[0-9]*')
  shift
  while [ $# -gt 0 ]; do page "$jar" "${1//CASE/$case}" "$2"; shift 2; done
  rm -f "$jar"
}

as sekretariat \
  / "Velkommen" \
  /tasks "Mine opgaver" \
  /cases "Sager" \
  "/cases?q=hjem" "Sager" \
  /cases/CASE "SYD-" \
  /cases/CASE/description "Faglig beskrivelse" \
  /cases/CASE/economics "Økonomisk konsekvensvurdering" \
  /meetings "Møder" \
  "/workflows/$region" "<svg" \
  /settings "Indstillinger"
as forslag /cases/new "Ny sag"
as admin /admin/users "Brugere" /admin/organisations "Odense" /admin/outbox "Udbakke" /admin/reform "Sundhedsreformen 2027"
public=$(mktemp)
page "$public" "/public/$region" "Region Syddanmark"
rm -f "$public"
[ "$failed" -eq 0 ] && echo "all pages answered"
exit "$failed"
