#!/usr/bin/env bash
# Cold-start figures for issue 11, each in a fresh process: three things on the seed page (twice with no
# saved prompt state, once after another story left its state: the shared instruction prefix then comes
# from disk, summarizers/runtime/prompt_state.py), the
# first-ever `briefbot digest` (empty model cache: the GGUF is assembled and sha256-checked; empty SQLite
# database: the bundled samples), then the next digest. Run it from the repository root in the virtualenv
# a user would have (the default install: no torch), on a quiet machine:
#   bash benchmarks/bench_cold_start.sh [SEED_FILE]
set -u
SEED=${1:-../shared/fixtures/trump_musk_x_conversation.txt}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
CACHE=${BRIEFBOT_MODEL_CACHE:-$HOME/.cache/briefbot/models}
echo "load: $(uptime)"
seed() {
  /usr/bin/time -f "three things, seed page, $1: %e s wall, %M KB peak RSS" \
    python -m bot summarize "$SEED" --method three-things --json >"$TMP/seed.json" 2>"$TMP/err"
  tail -1 "$TMP/err"
  echo "  last model call: $(cat "$CACHE/last-call.json" 2>/dev/null)"
}
for i in 1 2; do
  rm -rf "$CACHE/prompt-state"
  seed "no saved prompt state"
done
python -c 'import json, sys; r = json.loads(open("bot/samples/samples.jsonl").readline()); print(r["title"] + "\n\n" + r["text"])' >"$TMP/other.txt"
python -m bot summarize "$TMP/other.txt" --method three-things >/dev/null 2>&1
seed "after another story"
export BRIEFBOT_MODEL_CACHE="$TMP/cache" BRIEFBOT_DATABASE_URL="sqlite:///$TMP/db.sqlite"
/usr/bin/time -f "first-ever digest: %e s wall, %M KB peak RSS" python -m bot digest >/dev/null 2>"$TMP/err"
tail -1 "$TMP/err"
/usr/bin/time -f "next digest: %e s wall, %M KB peak RSS" python -m bot digest >/dev/null 2>"$TMP/err"
tail -1 "$TMP/err"
