#!/usr/bin/env bash
# Drives one Syddanmark case from draft to closed through the JSON API with curl, each step by
# a user holding the right role, and shows a few refusals on the way.
# Usage: scripts/walkthrough.sh [BASE_URL]   (default http://127.0.0.1:8080; the server must use
# the same DATABASE_URL / OVERDRAG_DATA_DIR as this shell, since users are added with the CLI).
set -euo pipefail
base=${1:-http://127.0.0.1:8080}
overdrag=${OVERDRAG_BIN:-./target/debug/overdrag}
run=$$
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d'+sys.argv[1]))" "$1"; }
user() { "$overdrag" users add --email "$1.$run@walkthrough.invalid" --name "$2" --region syddanmark --role "$1" 2>/dev/null; }
proposer=$(user proposer "Anne Holm")
secretariat=$(user secretariat "Mette Kjær")
economist=$(user economist "Lars Winther")
steering=$(user steering_group "Jens Bach")
committee=$(user committee "Birgitte Lund")

status=""; body=""
call() { # method path token [json]; sets $status and $body
  local out; out=$(mktemp)
  status=$(curl -sS -o "$out" -w '%{http_code}' -X "$1" "$base$2" -H "Authorization: Bearer $3" ${4:+-H "Content-Type: application/json" -d "$4"})
  body=$(cat "$out"); rm -f "$out"
  echo "$1 $2 -> $status" >&2
}
expect() { [ "$status" = "$1" ] || { echo "expected HTTP $1, got $status: $body" >&2; exit 1; }; }

parties=$(curl -sS "$base/api/v1/regions/syddanmark/parties" -H "Authorization: Bearer $proposer")
hospital=$(echo "$parties" | python3 -c "import json,sys; print([p['id'] for p in json.load(sys.stdin) if p['name']=='Odense Universitetshospital'][0])")
odense=$(echo "$parties" | python3 -c "import json,sys; print([p['id'] for p in json.load(sys.stdin) if p['name']=='Odense Kommune'][0])")

call POST /api/v1/cases "$proposer" "{\"region\":\"syddanmark\",\"title\":\"IV-behandling i eget hjem\",\"kind\":\"transfer\",\"giving_party\":$hospital,\"receiving_party\":$odense}"; expect 201
id=$(echo "$body" | field "['id']"); version=$(echo "$body" | field "['version']")
echo "created $(echo "$body" | field "['number']")" >&2
step() { # token transition [comment]
  call POST "/api/v1/cases/$id/transitions" "$1" "{\"transition\":\"$2\",\"expected_version\":$version${3:+,\"comment\":\"$3\"}}"; expect 200
  version=$(echo "$body" | field "['version']"); echo "  now $(echo "$body" | field "['state']")" >&2
}
call POST "/api/v1/cases/$id/transitions" "$proposer" "{\"transition\":\"submit\",\"expected_version\":$version}"; expect 422
call PUT "/api/v1/cases/$id/description" "$proposer" "{\"expected_version\":$version,\"description\":{\"task\":\"IV-antibiotika i eget hjem ved hjemmesygeplejen\",\"target_group\":\"Klinisk stabile voksne\",\"volume_per_year\":420,\"competences\":\"Infusion og observation\",\"responsibility\":\"Hospitalet har behandlingsansvaret\",\"quality_and_safety\":\"Fælles instruks\",\"documentation\":\"MedCom\",\"timeline\":\"Opstart 1. april\"}}"; expect 200
version=$(echo "$body" | field "['version']")
call POST "/api/v1/cases/$id/transitions" "$secretariat" "{\"transition\":\"submit\",\"expected_version\":$version}"; expect 403
step "$proposer" submit
step "$secretariat" accept_description
lines=""
for year in 2027 2028 2029 2030; do
  lines="$lines{\"party_id\":$hospital,\"year\":$year,\"one_off_costs\":0,\"running_costs\":0,\"savings\":4500000},{\"party_id\":$odense,\"year\":$year,\"one_off_costs\":0,\"running_costs\":3900000,\"savings\":0},"
done
call PUT "/api/v1/cases/$id/economics" "$economist" "{\"expected_version\":$version,\"lines\":[${lines%,}]}"; expect 200
version=$(echo "$body" | field "['version']")
for side in giving receiving; do
  call POST "/api/v1/cases/$id/economics/signoffs" "$economist" "{\"expected_version\":$version,\"side\":\"$side\"}"; expect 200
  version=$(echo "$body" | field "['version']")
done
step "$secretariat" open_hearing
call POST "/api/v1/cases/$id/hearing" "$secretariat" "{}"; expect 201
tokens=$(echo "$body" | python3 -c "import json,sys; print(' '.join(l['token'] for l in json.load(sys.stdin)['links']))")
echo "hearing opened for $(echo "$tokens" | wc -w) parties" >&2
for token in $tokens; do
  status=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$base/api/v1/hearing-links/$token" -H "Content-Type: application/json" -d '{"answer":"agree"}')
  [ "$status" = 200 ] || { echo "a hearing answer got HTTP $status" >&2; exit 1; }
done
version=$((version + 1 + $(echo "$tokens" | wc -w)))
step "$secretariat" close_hearing
agenda() { # body: hold a meeting today, place the case on its agenda and publish it
  # A decision at a meeting needs the meeting held or being held (today in Denmark on or after
  # its date) and its agenda published; publishing leaves the case's version as it is.
  local today
  today=$(TZ=Europe/Copenhagen date +%F)
  call POST /api/v1/meetings "$secretariat" "{\"region\":\"syddanmark\",\"body\":\"$1\",\"title\":\"Møde i $1\",\"held_on\":\"$today\",\"material_deadline\":\"$today\"}"; expect 201
  meeting=$(echo "$body" | field "['id']")
  call POST "/api/v1/meetings/$meeting/agenda" "$secretariat" "{\"case_id\":$id}"; expect 200
  version=$((version + 1))
  call POST "/api/v1/meetings/$meeting/publish" "$secretariat"; expect 200
}
call POST "/api/v1/cases/$id/transitions" "$steering" "{\"transition\":\"recommend\",\"expected_version\":$version}"; expect 422
agenda steering_group
call POST "/api/v1/cases/$id/transitions" "$steering" "{\"transition\":\"recommend\",\"expected_version\":$((version - 1))}"; expect 409
step "$steering" recommend
agenda committee
step "$committee" approve_with_conditions "Opfølgning på kvalitet og økonomi efter 12 måneder."
step "$secretariat" start_follow_up
step "$secretariat" close
call GET "/api/v1/meetings/$meeting/minutes" "$secretariat"; expect 200
echo "minutes: $(echo "$body" | field "['decisions'][0]['decision']")" >&2
call GET "/api/v1/cases/$id/events" "$secretariat"; expect 200
echo "journal: $(echo "$body" | field "['chain']")" >&2
[ "$(echo "$body" | field "['chain']['verified']")" = "True" ] || { echo "the journal does not verify" >&2; exit 1; }
echo "walkthrough passed: case $id closed" >&2
