#!/usr/bin/env bash
# `npm start [-- --port N] [-- other jupyter options]`: serves notebooks/ on 127.0.0.1 in JupyterLab
# where it is installed, else in the classic Notebook, and prints the URL to open.
#   --port N / PORT=N     fixed port (default: a free one); the server fails rather than move elsewhere
#   JUPYTER_TOKEN=…       fixed token (default: a random one)
# Rebuilds the library first when src/ changed since the last build, so notebooks get current code.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { printf 'npm start: %s\n' "$*" >&2; exit 1; }

port="${PORT:-}"
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --port) [ $# -ge 2 ] || die "--port needs a number"; port="$2"; shift 2 ;;
    --port=*) port="${1#--port=}"; shift ;;
    *) extra+=("$1"); shift ;;
  esac
done

command -v jupyter >/dev/null || die "Jupyter is not installed. Run \`npm run setup\` (Debian/Ubuntu) or use environment.yml (conda)."
if jupyter lab --version >/dev/null 2>&1; then
  app=lab page=lab
elif jupyter notebook --version >/dev/null 2>&1; then
  app=notebook page=tree
else
  die "neither JupyterLab nor the classic Notebook is installed. Run \`npm run setup\`."
fi
# dist/build/fresh.js throws when a source changed after the last build (or dist/ is missing).
node -e 'require("./dist/build/fresh")' 2>/dev/null || { echo "npm start: building the library"; npm run build --silent; }
[ -f node_modules/peft-lab/package.json ] || node scripts/link-self.js

# This checkout's tslab kernelspec (.jupyter-env/, see src/jupyter/kernelspec.ts) first on JUPYTER_PATH.
JUPYTER_PATH=$(node -p 'require("./dist/jupyter/kernelspec").projectJupyterPath(undefined, process.env.JUPYTER_PATH)')
export JUPYTER_PATH
kernels=$(jupyter kernelspec list 2>/dev/null || true)
grep -Eq '^\s*tslab\s' <<<"$kernels" \
  || die "the tslab (TypeScript) kernel is not offered by this Jupyter with JUPYTER_PATH=$JUPYTER_PATH. Run \`npm run setup\`."

if [ -z "$port" ]; then
  port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
fi
[[ "$port" =~ ^[0-9]+$ ]] || die "port must be a number, got '$port'"
export JUPYTER_TOKEN="${JUPYTER_TOKEN:-$(node -p 'require("crypto").randomBytes(24).toString("hex")')}"

args=(--ip=127.0.0.1 --port="$port" --port-retries=0 --no-browser --notebook-dir="$PWD/notebooks")
[ "$(id -u)" -ne 0 ] || args+=(--allow-root)
echo "npm start: serving notebooks/ with jupyter $app; open http://127.0.0.1:$port/$page?token=$JUPYTER_TOKEN"
exec jupyter "$app" "${args[@]}" "${extra[@]}"
