#!/usr/bin/env bash
# How much of what Python's Faker prints does hush find? Faker is the
# generator behind most synthetic PII sets (PANORAMA among them), and it
# prints shapes no numbering plan or registry assigns (NANP exchanges
# starting with 0 or 1, ZZ NINOs, GB IBANs one character short). A
# measurement, not a test: on first use it installs Faker (pinned) into
# target/faker-venv, so it is not part of .ci/run.
#
#   xtask/faker/run.sh
#
# Writes target/faker/values.jsonl (one value per record, in a sentence),
# hush's findings beside it, and prints, per kind (per locale for phones),
# how many values were found whole, in part, or not at all. Then writes
# the labelled sets of labelled.py (gold spans) and runs `cargo xtask
# eval` on each: precision, recall and F1 per kind, exact and overlap.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

venv="$root/target/faker-venv"
out="$root/target/faker"
py="$venv/bin/python"
if [[ ! -x "$py" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet faker==40.63.0
fi
mkdir -p "$out"
"$py" xtask/faker/values.py > "$out/values.jsonl"
cargo build --quiet --release -p hush-cli
target/release/hush scan --input jsonl --field text --format jsonl \
  "$out/values.jsonl" > "$out/findings.jsonl" || [[ $? -eq 1 ]]
python3 xtask/faker/score.py "$out/values.jsonl" "$out/findings.jsonl" \
  "$out/missed.json"

# Labelled sets (gold spans) for precision, recall and F1 per kind.
# Fixed hash seed: some of Faker's locale lists are built from sets.
PYTHONHASHSEED=0 "$py" xtask/faker/labelled.py "$out"
for set in structured negatives ids names prose prose_intl dates addresses; do
  cargo xtask eval "$out/$set.jsonl"
done
