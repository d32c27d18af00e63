#!/usr/bin/env bash
# Copies what a study folder needs to be carried to another machine
# without its checkpoints: study.json, results.csv/.md and, for every
# finished run, study-run.json + study-result.json.
# `dskd study --dir DEST` on the other machine recognises those runs as
# finished (their config hash is in study-run.json) and trains the rest.
#   tools/study-snapshot.sh STUDY_DIR DEST_DIR
set -euo pipefail
src=${1:?usage: tools/study-snapshot.sh STUDY_DIR DEST_DIR}
dst=${2:?usage: tools/study-snapshot.sh STUDY_DIR DEST_DIR}
mkdir -p "$dst"
for f in study.json results.csv results.md; do
  [ -f "$src/$f" ] && cp "$src/$f" "$dst/$f"
done
n=0
while IFS= read -r -d '' res; do
  run=$(dirname "$res")
  rel=${run#"$src"/}
  mkdir -p "$dst/$rel"
  cp "$run/study-run.json" "$res" "$dst/$rel/"
  n=$((n + 1))
done < <(find "$src/runs" -name study-result.json -print0 2>/dev/null)
echo "$n finished runs copied to $dst"
