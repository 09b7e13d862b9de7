#!/usr/bin/env bash
# cardstation developer entry point.
#   ./dev.sh demo   — install what is missing, then run the TUI demo (local store, emulated reader, local gateway)
#   ./dev.sh test   — install what is missing, then run ruff, mypy and the whole test suite
#   ./dev.sh setup  — only install
#   ./dev.sh pytest ARGS — run pytest on ARGS in the existing venv (no root, no apt, no install)
#   ./dev.sh lock   — regenerate requirements.lock from pyproject.toml (after changing a dependency)
# Safe to run again: every step checks before it installs.
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES=(pcscd vsmartcard-vpcd libpcsclite-dev swig tmux fonts-droid-fallback python3-venv python3-dev gcc
  cups printer-driver-cups-pdf poppler-utils systemd)
VENV=.venv

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root (or sudo) to install: $*" >&2; return 1; fi
}

setup_apt() {
  command -v dpkg-query >/dev/null || return 0
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> apt: installing ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

setup_python() {
  if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating $VENV"
    python3 -m venv "$VENV"
  fi
  # Installs exactly the pinned versions of requirements.lock, then the project itself without
  # resolving again, so CI and every station get the same dependency tree.
  local stamp="$VENV/.installed-$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    echo "==> pip: installing the locked dependencies (requirements.lock), then cardstation"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -r requirements.lock
    "$VENV/bin/python" -m pip install -q --no-deps -e .
    rm -f "$VENV"/.installed-*
    touch "$stamp"
  fi
}

# requirements.lock: every dependency of pyproject.toml with the test and gateway extras, pinned. Regenerate it
# after editing a dependency; uv comes with the test extra (bootstrap it if the venv lacks it).
lock() {
  [ -x "$VENV/bin/uv" ] || "$VENV/bin/python" -m pip install -q uv
  "$VENV/bin/uv" pip compile pyproject.toml --extra test --extra gateway --python "$VENV/bin/python" -q -o requirements.lock "$@"
}

run_tests() {
  echo "==> ruff"
  "$VENV/bin/ruff" check .
  "$VENV/bin/ruff" format --check .
  echo "==> mypy"
  "$VENV/bin/mypy"
  echo "==> import contracts (lint-imports)"
  "$VENV/bin/lint-imports"
  echo "==> pytest"
  "$VENV/bin/pytest" -q "$@"
}

cmd="${1:-demo}"; shift || true
case "$cmd" in
  setup) setup_apt; setup_python ;;
  demo)  setup_apt; setup_python; exec "$VENV/bin/cardstation" demo "$@" ;;
  test)  setup_apt; setup_python; run_tests "$@" ;;
  pytest) exec "$VENV/bin/pytest" "$@" ;;
  lock)  lock "$@" ;;
  *) echo "usage: ./dev.sh {demo|test|setup|pytest ARGS|lock}" >&2; exit 2 ;;
esac
