#!/usr/bin/env bash
# Copies what a study folder needs to be carried to another machine
# without its checkpoints: study.json, results.csv/.md, ensembles.csv and
# ensembles/ (the seed ensembles' scores, --ensembles) and, for every
# finished run, study-run.json + study-result.json.
# `dskd study --dir DEST` on the other machine recognises those runs as
# finished (their config hash is in study-run.json) and trains the rest.
#   tools/study-snapshot.sh STUDY_DIR DEST_DIR
set -euo pipefail
src=${1:?usage: tools/study-snapshot.sh STUDY_DIR DEST_DIR}
dst=${2:?usage: tools/study-snapshot.sh STUDY_DIR DEST_DIR}
mkdir -p "$dst"
for f in study.json results.csv results.md ensembles.csv; do
  if [ -f "$src/$f" ]; then cp "$src/$f" "$dst/$f"; fi
done
if [ -d "$src/ensembles" ]; then cp -r "$src/ensembles" "$dst/"; fi
n=0
while IFS= read -r -d '' res; do
  run=$(dirname "$res")
  rel=${run#"$src"/}
  mkdir -p "$dst/$rel"
  cp "$run/study-run.json" "$res" "$dst/$rel/"
  n=$((n + 1))
done < <(find "$src/runs" -name study-result.json -print0 2>/dev/null)
echo "$n finished runs copied to $dst"
