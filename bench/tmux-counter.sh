#!/bin/sh
# Counting tmux wrapper for the benchmark: installed as `tmux` in a temp dir
# put first on PATH, it appends each call's arguments to $BENCH_TMUX_LOG (one
# record per call, ended by the ASCII record separator, since arguments may
# hold newlines) and execs the real tmux, so the tool sees tmux unchanged.
real="${BENCH_TMUX_REAL:?BENCH_TMUX_REAL must name the real tmux}"
if [ "$real" -ef "$0" ]; then
  echo "tmux-counter: BENCH_TMUX_REAL points at the wrapper itself" >&2
  exit 127
fi
if [ -n "${BENCH_TMUX_LOG:-}" ]; then
  printf '%s\036' "$*" >>"$BENCH_TMUX_LOG"
fi
exec "$real" "$@"
