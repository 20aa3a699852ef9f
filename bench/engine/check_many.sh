#!/usr/bin/env bash
# Generate instances of many shapes, solve and suggest each with `python -m solver`, and run
# the independent checker on every answer. Usage: bench/engine/check_many.sh PATH/TO/check_engine.py
# Exits non-zero on the first failure. Uses $PYTHON (default python) from the repository root.
set -euo pipefail
checker=${1:?usage: check_many.sh PATH/TO/check_engine.py}
python=${PYTHON:-python}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
count=0
# households units apart seed [max-pairs: few enough that the solve models only each household's best units]
# [approximate: half the avoid places carry a precision_km]
for shape in "1 1 0 1" "3 2 1 2" "5 5 4 3" "8 6 6 4" "20 25 5 5" "40 30 10 6" "60 80 5 7" \
             "120 100 20 8" "200 260 15 9" "300 200 40 10" "400 600 0 11" "150 150 60 12" \
             "400 600 0 13 1200" "300 200 40 14 600" "150 150 60 15 150" "1000 1400 0 16 5000" \
             "60 80 5 17 0 approximate" "300 200 40 18 0 approximate" "300 200 40 19 600 approximate"; do
  read -r h u k s pairs approximate <<<"$shape"
  [ "${pairs:-0}" = 0 ] && pairs=
  name="$work/i-$h-$u-$k-$s"
  "$python" bench/engine/generate.py --households "$h" --units "$u" --apart "$k" --seed "$s" \
    ${approximate:+--approximate} -o "$name.json"
  "$python" -m solver solve "$name.json" -o "$name.sol.json" --time-limit 60 ${pairs:+--max-pairs "$pairs"}
  "$python" "$checker" solution "$name.json" "$name.sol.json" >"$name.check" || { cat "$name.check"; exit 1; }
  "$python" -m solver check "$name.json" "$name.sol.json" >/dev/null
  for hh in H1 "H$h"; do
    "$python" -m solver suggest "$name.json" --household "$hh" -o "$name.$hh.sug.json"
    "$python" "$checker" suggestions "$name.json" "$name.$hh.sug.json" >"$name.$hh.check" \
      || { cat "$name.$hh.check"; exit 1; }
  done
  count=$((count + 1))
  echo "ok $h households / $u units / $k apart (seed $s${pairs:+, at most $pairs pairs}${approximate:+, approximate places}):" \
    "$(head -1 "$name.check")"
done
echo "all $count instance shapes passed the checker"
