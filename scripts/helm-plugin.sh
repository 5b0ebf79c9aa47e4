#!/bin/sh
# Runs harbor-upgrade as the Helm plugin `helm harbor-upgrade`: the binary from the plugin's
# bin/ folder, else from PATH. As Helm's install hook (`--install-hook`) it checks that one of
# them exists and, when neither does but cargo does, builds it from this checkout. It never
# downloads a binary.
set -eu

dir="${HELM_PLUGIN_DIR:-$(cd "$(dirname "$0")/.." && pwd)}"

find_binary() {
  if [ -x "$dir/bin/harbor-upgrade" ]; then
    printf '%s\n' "$dir/bin/harbor-upgrade"
  elif command -v harbor-upgrade >/dev/null 2>&1; then
    command -v harbor-upgrade
  else
    return 1
  fi
}

if [ "${1:-}" = "--install-hook" ]; then
  if bin="$(find_binary)"; then
    echo "harbor-upgrade: using $bin" >&2
    exit 0
  fi
  if command -v cargo >/dev/null 2>&1 && [ -f "$dir/Cargo.toml" ]; then
    echo "harbor-upgrade: building it with cargo into $dir/bin (a few minutes)" >&2
    cargo build --release --locked --manifest-path "$dir/Cargo.toml"
    mkdir -p "$dir/bin"
    cp "$dir/target/release/harbor-upgrade" "$dir/bin/harbor-upgrade"
    exit 0
  fi
  echo "harbor-upgrade: no binary in $dir/bin or on PATH and no cargo to build one;" \
    "install it with \`cargo install --locked --path <checkout>\` and run the plugin again" >&2
  exit 1
fi

if ! bin="$(find_binary)"; then
  echo "error: harbor-upgrade is not installed: no binary in $dir/bin or on PATH" \
    "(\`cargo install --locked --path <checkout>\`, or \`helm plugin update harbor-upgrade\` with cargo installed)" >&2
  exit 2
fi
# Helm's --kubeconfig arrives as KUBECONFIG, which the binary reads; HELM_KUBECONFIG is the
# same for tools that set only that.
if [ -z "${KUBECONFIG:-}" ] && [ -n "${HELM_KUBECONFIG:-}" ]; then
  KUBECONFIG="$HELM_KUBECONFIG"
  export KUBECONFIG
fi
exec "$bin" "$@"
