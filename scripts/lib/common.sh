# Shared by scripts/run and scripts/test: finds the tools the project needs and installs
# what is missing (Debian/Ubuntu), so both commands work on a fresh machine.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export REPO_ROOT

# Builds are the slow part: keep them outside the clone so a fresh clone on the same
# machine reuses earlier work. Nothing changes on a machine that has never built.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sxadmin/target}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

APT_UPDATED=""
# Installs the Debian packages among "$@" that dpkg does not report as installed.
ensure_apt() {
    local missing=()
    local package
    for package in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
            missing+=("$package")
        fi
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "error: these packages are missing and this is not a Debian/Ubuntu system: ${missing[*]}" >&2
        echo "       install them with your package manager, then run this command again." >&2
        exit 2
    fi
    say "installing ${missing[*]}"
    if [ -z "$APT_UPDATED" ]; then
        as_root apt-get update -qq
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The Rust toolchain comes from rustup; Debian's own cargo is too old for the workspace.
ensure_rust() {
    if [ -f "$HOME/.cargo/env" ]; then
        # shellcheck disable=SC1091
        . "$HOME/.cargo/env"
    fi
    if command -v cargo >/dev/null 2>&1; then
        return 0
    fi
    ensure_apt curl ca-certificates
    say "installing the Rust toolchain with rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component rustfmt,clippy
    # shellcheck disable=SC1091
    . "$HOME/.cargo/env"
}

ensure_rust_components() {
    if command -v rustup >/dev/null 2>&1; then
        rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
        rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
    fi
}

# What building the workspace needs from the system.
ensure_build_deps() {
    # libdbus: the Linux keychain (Secret Service) client. The rest: the desktop app's
    # window (Tauri on WebKitGTK) and its native file dialogs (GTK 3).
    ensure_apt build-essential pkg-config libdbus-1-dev libssl-dev libwebkit2gtk-4.1-dev \
        libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
    ensure_rust
}

# The desktop app's web UI, built into ui/dist, which the app embeds when it compiles:
# build it before any cargo command that compiles the desktop crate.
build_desktop_ui() {
    ensure_node
    ensure_npm_packages "$REPO_ROOT/ui"
    say "building the desktop UI"
    (cd "$REPO_ROOT/ui" && npm run --silent build -- --logLevel warn)
}

ensure_node() {
    if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
        local major
        major="$(node -p 'process.versions.node.split(".")[0]')"
        [ "$major" -ge 18 ] && return 0
    fi
    ensure_apt nodejs npm
}

# npm packages of one folder, at the versions its lock file pins, once. `npm install`
# rather than `npm ci`: lock files written on one platform leave out other platforms'
# optional packages (rollup, esbuild), and `npm ci` then refuses the lock as out of sync.
ensure_npm_packages() {
    local dir="$1"
    if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
        say "installing npm packages in ${dir#"$REPO_ROOT"/}"
        (cd "$dir" && npm install --no-audit --no-fund --no-save --loglevel=error)
    fi
}

# A PyPI package, installed once into a virtual environment of the project's own (Debian's
# Python refuses system-wide pip installs), whose commands are then on PATH. "$1" is the
# requirement (name==version), "$2" the command it provides.
PYTHON_ENV="${PYTHON_ENV:-$HOME/.cache/sxadmin/python}"
ensure_pip_package() {
    local requirement="$1" command="$2"
    if [ ! -x "$PYTHON_ENV/bin/python" ]; then
        command -v python3 >/dev/null 2>&1 || ensure_apt python3
        if ! python3 -m venv "$PYTHON_ENV" >/dev/null 2>&1; then
            rm -rf "$PYTHON_ENV"
            ensure_apt python3-venv
            python3 -m venv "$PYTHON_ENV"
        fi
    fi
    export PATH="$PYTHON_ENV/bin:$PATH"
    # `pip freeze` spells an installed package as name==version, like the requirement.
    local installed
    installed="$("$PYTHON_ENV/bin/python" -m pip freeze 2>/dev/null || true)"
    if [ ! -x "$PYTHON_ENV/bin/$command" ] || ! grep -qixF "$requirement" <<<"$installed"; then
        say "installing $requirement from PyPI"
        "$PYTHON_ENV/bin/python" -m pip install --quiet --disable-pip-version-check "$requirement"
    fi
}

# Runs "$@" inside a private D-Bus session with an unlocked gnome-keyring, so tests store
# real secrets in a real Secret Service without touching the user's own keychain.
with_test_keychain() {
    ensure_apt dbus dbus-x11 gnome-keyring
    local scratch
    scratch="$(mktemp -d)"
    mkdir -p "$scratch/data" "$scratch/runtime"
    chmod 700 "$scratch/runtime"
    XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch/runtime" SXADMIN_KEYCHAIN_TESTS=1 \
        dbus-run-session -- bash -c \
        'eval "$(printf %s sxadmin-tests | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null; export GNOME_KEYRING_CONTROL; "$@"' \
        with-test-keychain "$@"
    local status=$?
    rm -rf "$scratch"
    return $status
}
