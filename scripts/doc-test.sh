#!/usr/bin/env bash
# Runs the JSDoc examples of mod.ts and lib/ (`deno test --doc`) in a private world:
# temp socket dir, registry, HOME and tmux default socket, so the examples
# never touch the user's tmux server or registry; kills every server after.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(mktemp -d "${TMPDIR:-/tmp}/ctmux-doc.XXXXXX")"
export DENO_DIR="${DENO_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/deno}"
cleanup() {
  for sock in "$root"/sockets/*.sock "$root"/tmux/tmux-*/default; do
    [ -S "$sock" ] && tmux -S "$sock" kill-server 2>/dev/null || true
  done
  rm -rf "$root"
}
trap cleanup EXIT
mkdir -p "$root"/{sockets,state,home,tmp,tmux}
chmod 700 "$root"/sockets
export CLAUDE_TMUX_SOCKET_DIR="$root/sockets" XDG_STATE_HOME="$root/state" HOME="$root/home" \
  TMPDIR="$root/tmp" TMUX_TMPDIR="$root/tmux"
unset TMUX TMUX_PANE
deno test --allow-all --doc mod.ts lib/
