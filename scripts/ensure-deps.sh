#!/usr/bin/env bash
# Installs what the project needs and a fresh Debian machine lacks: deno (from
# npm), tmux and flock (from apt), python3 (tests drive a Python REPL), ps
# (run asks it whether a program waits for input), and the programs run's tests
# and skill/SKILL.md's recipes drive (tests/skill_test.ts runs them): gdb, git,
# less, vim, sqlite3, node, dash. The MCP SDK, zod and the MCP Inspector's CLI
# are npm packages Deno fetches itself on first use.
set -euo pipefail
missing_apt=()
command -v tmux >/dev/null 2>&1 || missing_apt+=(tmux)
command -v flock >/dev/null 2>&1 || missing_apt+=(util-linux)
command -v python3 >/dev/null 2>&1 || missing_apt+=(python3)
command -v jq >/dev/null 2>&1 || missing_apt+=(jq)
command -v ps >/dev/null 2>&1 || missing_apt+=(procps)
command -v gdb >/dev/null 2>&1 || missing_apt+=(gdb)
command -v git >/dev/null 2>&1 || missing_apt+=(git)
command -v less >/dev/null 2>&1 || missing_apt+=(less)
command -v vim >/dev/null 2>&1 || missing_apt+=(vim)
command -v sqlite3 >/dev/null 2>&1 || missing_apt+=(sqlite3)
command -v node >/dev/null 2>&1 || missing_apt+=(nodejs)
command -v dash >/dev/null 2>&1 || missing_apt+=(dash)
if [ ${#missing_apt[@]} -gt 0 ]; then
  echo "Installing with apt: ${missing_apt[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing_apt[@]}" >/dev/null
fi
if ! command -v deno >/dev/null 2>&1; then
  echo "Installing deno with npm" >&2
  npm install -g deno >/dev/null 2>&1 || { echo "npm install -g deno failed" >&2; exit 1; }
fi
command -v deno >/dev/null 2>&1 || { echo "deno is still not on PATH after npm install -g deno" >&2; exit 1; }
