# Sourced by scripts/test and scripts/demo (with ROOT set and cwd at the repo root): creates .venv and
# installs the project with its [test] extra, again only when pyproject.toml changed; puts .venv first on PATH.

PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"
STAMP="$VENV/.ddi-install-hash"

step() { printf '\n==> %s\n' "$*"; }

# --------------------------------------------------------------------------- venv + install

install_hash() {
    # what the install depends on: the project metadata and the interpreter
    {
        cat pyproject.toml
        for f in setup.py setup.cfg; do [ -f "$f" ] && cat "$f"; done
        "$VENV/bin/python" -c 'import sys; print(sys.version)'
    } | sha256sum | cut -d' ' -f1
}

installed() { # the project is installed in .venv (and was not removed since)
    "$VENV/bin/python" -c 'import importlib.metadata as m; m.version("ddtrace-integrations")' 2>/dev/null
}

if [ ! -x "$VENV/bin/python" ]; then
    step "creating .venv"
    "$PYTHON" -m venv "$VENV"
fi
want="$(install_hash)"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ] || ! installed; then
    step "installing .[test] into .venv"
    bash "$ROOT/scripts/services" mariadb-dev # mysqlclient builds from source against libmariadb
    # (grep: drop the noise of this machine's pip config about absent local indexes)
    "$VENV/bin/python" -m pip install -q -e '.[test]' 2>&1 | { grep -v "^WARNING: Location 'file:" || true; }
    echo "$want" >"$STAMP"
fi

export VIRTUAL_ENV="$VENV"
export PATH="$VENV/bin:$PATH"
