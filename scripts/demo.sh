#!/usr/bin/env bash
# Quick start, command 1: `bash scripts/demo.sh`.
#
# Installs what is missing (scripts/ensure-deps.sh), then runs workflow 1 of
# docs/session-lifecycle.md ("Quick Python calculation") end to end through
# the tools, printing each command and its output.
#
# It runs in a private temp world: its own socket directory and registry
# (CLAUDE_TMUX_SOCKET_DIR), its own tmux default socket (TMUX_TMPDIR) and its
# own ./tools/ shims. Your sessions, your registry and your tmux servers are
# never touched (the workflow's cleanup-sessions.sh would otherwise prune
# *your* dead entries too), and everything the demo made is removed at the
# end, also when a step fails or you press Ctrl-C.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
bash "$repo/scripts/ensure-deps.sh"

demo="$(mktemp -d "${TMPDIR:-/tmp}/ctmux-demo.XXXXXX")"
current="setting up"
finish() {
  local code=$?
  trap - EXIT INT TERM
  for sock in "$demo"/sockets/*.sock "$demo"/tmux/tmux-*/default; do
    if [ -S "$sock" ]; then tmux -S "$sock" kill-server 2>/dev/null || true; fi
  done
  rm -rf "$demo"
  if [ "$code" -eq 0 ]; then
    printf '\nDemo passed. Removed %s (its tmux server, registry and shims).\n' "$demo"
  else
    printf '\nDemo FAILED (exit %s) at: %s. Removed %s.\n' "$code" "$current" "$demo" >&2
  fi
  exit "$code"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export CLAUDE_TMUX_SOCKET_DIR="$demo/sockets" TMUX_TMPDIR="$demo/tmux"
unset TMUX TMUX_PANE REGISTRY_FILE CLAUDE_TMUX_REGISTRY REGISTRY_LOCK
mkdir -m 700 "$demo/tmux"

# The shims a user installs once (`deno task install-shims DIR`), here in the demo's ./tools/.
deno run --quiet --allow-read --allow-write --allow-run "$repo/scripts/install-shims.ts" "$demo/tools" 2>/dev/null
cd "$demo"

bold() { if [ -t 1 ]; then printf '\033[1m%s\033[0m\n' "$1"; else printf '%s\n' "$1"; fi; }
# step TITLE COMMAND: prints the title and the command as typed, then runs it.
step() {
  current="$1"
  printf '\n'
  bold "## $1"
  printf '$ %s\n' "$2"
  eval "$2"
}

bold "Workflow 1: quick Python calculation (ephemeral session)"
printf 'Private world: %s (socket dir and registry: %s)\n' "$demo" "$CLAUDE_TMUX_SOCKET_DIR"

step "1. Check no conflicts" \
  './tools/list-sessions.sh'
step "2. Create a Python session" \
  './tools/create-session.sh -n quick-calc --python'
step "3. See it registered and alive" \
  './tools/list-sessions.sh'
step "4. Wait for the prompt" \
  "./tools/wait-for-text.sh -s quick-calc -p '^>>>' -T 15 && echo 'prompt is up'"
step "5. Send a calculation and wait for the prompt to come back" \
  './tools/safe-send.sh -s quick-calc -c "import math; print(math.factorial(100))" -w ">>>" -T 10 && echo sent'
step "6. Capture the output (wrapped lines joined)" \
  './tools/capture-pane.sh -s quick-calc -n 10 -J | tee capture.txt'
current="checking the captured result"
grep -q "^$(python3 -c 'import math; print(math.factorial(100))')\$" capture.txt
echo "(checked: the capture holds 100! on one line)"
step "7. Or in one step: run a command and get its output" \
  "./tools/run.sh -s quick-calc -c 'math.factorial(20)'"
step "8. Clean up: kill the session and remove its registry entry" \
  './tools/kill-session.sh -s quick-calc'
step "9. Prune whatever else is dead" \
  './tools/cleanup-sessions.sh'
step "10. Nothing left" \
  './tools/list-sessions.sh'
current="finishing"
