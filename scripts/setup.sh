#!/usr/bin/env bash
# `npm run setup`: everything peft-lab needs on a fresh Debian/Ubuntu machine, idempotent, no prompts.
#   1. apt: Jupyter (server, classic Notebook, nbconvert, nbclient), Chromium, numpy — only what is missing;
#      skipped with a message where apt or root/passwordless sudo is unavailable (conda, Binder: there
#      environment.yml provides Jupyter). PEFT_LAB_SKIP_APT=1 skips it on purpose.
#   2. npm ci (npm install without a lock file), unless node_modules was installed from this lock file.
#   3. npm run build, and node_modules/peft-lab so notebooks can `import … from "peft-lab"`.
#   4. Writes the tslab kernelspec into this checkout's own Jupyter data folder, .jupyter-env/ (never system-wide:
#      that would point every user at whichever checkout ran setup last), and checks Jupyter lists it from there
#      with JUPYTER_PATH=.jupyter-env, as npm start and every server peft-lab starts set it.
# JUPYTER_PYTHON=/path/to/python picks the Jupyter to check with (default: the one `jupyter` runs on).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }
die() { printf '\033[1;31msetup: %s\033[0m\n' "$*" >&2; exit 1; }

# --- 0. Node -----------------------------------------------------------------------------------
command -v node >/dev/null || die "Node.js >= 20 is required (https://nodejs.org, or conda: nodejs>=20)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js >= 20 is required, found $(node --version)"

# --- 1. apt --------------------------------------------------------------------------------------
APT_PACKAGES=(jupyter-server jupyter-notebook python3-nbconvert python3-nbclient jupyter-client chromium python3-numpy bubblewrap)
install_apt() {
  if [ "${PEFT_LAB_SKIP_APT:-}" = 1 ]; then say "PEFT_LAB_SKIP_APT=1: not using apt"; return; fi
  if ! command -v apt-get >/dev/null || ! command -v dpkg-query >/dev/null; then
    say "apt is not available here: skipping system packages (Jupyter must come from elsewhere, e.g. environment.yml)"
    return
  fi
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then say "system packages already installed: ${APT_PACKAGES[*]}"; return; fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      sudo=(sudo -n --preserve-env=DEBIAN_FRONTEND)
    else
      say "not root and no passwordless sudo: skipping apt. Missing: ${missing[*]}"
      say "install them with: sudo apt-get install -y ${missing[*]}"
      return
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  # Ubuntu ships Chromium as chromium-browser (a snap wrapper) instead of Debian's chromium.
  if [[ " ${missing[*]} " == *" chromium "* ]] && ! apt-cache show chromium >/dev/null 2>&1; then
    missing=("${missing[@]/#chromium/chromium-browser}")
  fi
  say "apt-get install ${missing[*]}"
  "${sudo[@]}" apt-get install -y -qq "${missing[@]}"
}
install_apt

# --- 2. npm --------------------------------------------------------------------------------------
# npm ci deletes node_modules first; skip it when node_modules was installed from this very lock file
# (its hash, recorded after npm ci). Not by modification times: a copied tree or a fresh git checkout
# gets new ones that say nothing about what is installed.
LOCK_RECORD=node_modules/.peft-lab-installed-lock.sha256
if [ ! -f package-lock.json ]; then
  say "npm install (no package-lock.json)"
  npm install --no-audit --no-fund
elif [ -f "$LOCK_RECORD" ] && sha256sum --check --status "$LOCK_RECORD" 2>/dev/null; then
  say "node_modules was installed from this package-lock.json: skipping npm ci"
else
  say "npm ci"
  npm ci --no-audit --no-fund
  sha256sum package-lock.json > "$LOCK_RECORD"
fi

# --- 3. build and package link --------------------------------------------------------------------
say "npm run build"
npm run build --silent
node scripts/link-self.js

# --- 4. tslab kernel -------------------------------------------------------------------------------
has_jupyter_client() { [ -n "$1" ] && "$1" -c 'import jupyter_client' >/dev/null 2>&1; }
find_jupyter_python() {
  if [ -n "${JUPYTER_PYTHON:-}" ]; then echo "$JUPYTER_PYTHON"; return; fi
  # The interpreter `jupyter` itself runs on: a pyenv/venv python3 first on PATH may lack Jupyter.
  local jup shebang
  if jup=$(command -v jupyter); then
    shebang=$(head -n1 "$jup")
    if [[ "$shebang" == "#!"* ]]; then
      shebang=${shebang#\#!}
      shebang=${shebang#/usr/bin/env }
      has_jupyter_client "${shebang%% *}" && { echo "${shebang%% *}"; return; }
    fi
  fi
  local p
  for p in python3 /usr/bin/python3 python; do has_jupyter_client "$p" && { echo "$p"; return; }; done
  return 1
}
PY=$(find_jupyter_python) || die "no Python with Jupyter found: install Jupyter (apt packages above, or conda env create -f environment.yml) and re-run npm run setup"
has_jupyter_client "$PY" || die "JUPYTER_PYTHON=$PY cannot import jupyter_client"

JUPYTER_ENV=$(node -p 'require("./dist/jupyter/kernelspec").writeTslabKernelSpec()')
say "tslab kernelspec written to $JUPYTER_ENV/kernels/tslab (JUPYTER_PATH=$JUPYTER_ENV jupyter lab offers it)"
# (Captured first: grep -q closing the pipe early would fail the pipeline under pipefail.)
kernels=$(JUPYTER_PATH="$JUPYTER_ENV${JUPYTER_PATH:+:$JUPYTER_PATH}" "$PY" -m jupyter kernelspec list 2>/dev/null)
echo "$kernels"
grep -Eq "^\s*tslab\s+$JUPYTER_ENV/kernels/tslab\s*\$" <<<"$kernels" \
  || die "\`jupyter kernelspec list\` with JUPYTER_PATH=$JUPYTER_ENV does not list its tslab kernel"
say "done. npm start serves notebooks/; npm test runs every test"
