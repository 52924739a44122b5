#!/usr/bin/env bash
# What kiln costs at build time, measured in one run: clean and incremental (one
# handler touched) builds of examples/hello with kiln's default features, with
# `default-features = false`, and of the same app in hand-written axum
# (bench/build-cost/axum-hello). Each variant is copied to a scratch folder and built
# with its own target folder and the repository's Cargo.lock, in the dev profile.
#
#   bash scripts/build-cost.sh            # prints a Markdown table
#   JOBS=2 bash scripts/build-cost.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
JOBS=${JOBS:-2}
scratch=$(mktemp -d /tmp/kiln-build-cost.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

# hello as a standalone package, kiln by path with the given dependency line.
make_hello() {
    local dir=$1 kiln_dep=$2
    mkdir -p "$dir"
    cp -r "$repo/examples/hello/src" "$repo/examples/hello/templates" "$repo/examples/hello/static" "$dir/"
    cat > "$dir/Cargo.toml" <<TOML
[package]
name = "hello"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
$kiln_dep
serde = { version = "1.0.219", features = ["derive"] }
serde_json = "1.0.140"
tokio = { version = "1.47", features = ["rt-multi-thread", "macros", "net", "signal", "time", "sync"] }

[workspace]
TOML
    cp "$repo/Cargo.lock" "$dir/Cargo.lock"
}

make_hello "$scratch/kiln-default" "kiln = { path = \"$repo/framework\" }"
make_hello "$scratch/kiln-lean" "kiln = { path = \"$repo/framework\", default-features = false }"
mkdir -p "$scratch/axum"
cp -r "$repo/bench/build-cost/axum-hello/." "$scratch/axum/"
cp -r "$repo/examples/hello/templates" "$repo/examples/hello/static" "$scratch/axum/"
cp "$repo/Cargo.lock" "$scratch/axum/Cargo.lock"

seconds() { # runs "$@", prints the wall-clock seconds it took
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}

echo "| app | clean build | incremental (one handler touched) | crates in the tree |"
echo "|---|---:|---:|---:|"
for variant in axum kiln-lean kiln-default; do
    dir="$scratch/$variant"
    (cd "$dir" && cargo fetch -q >/dev/null 2>&1 || true)
    clean=$(cd "$dir" && seconds cargo build -j "$JOBS" --target-dir "$dir/target")
    crates=$(cd "$dir" && cargo tree -e normal,build --prefix none 2>/dev/null | sed 's/ (\*)//' | sort -u | wc -l)
    # One handler touched: the text of the /hello route.
    sed -i 's/Hello, {name}!/Hello there, {name}!/' "$dir/src/main.rs"
    incremental=$(cd "$dir" && seconds cargo build -j "$JOBS" --target-dir "$dir/target")
    case $variant in
        axum) label="hand-written axum" ;;
        kiln-lean) label="kiln, \`default-features = false\`" ;;
        kiln-default) label="kiln, default features (ORM on SQLite and PostgreSQL)" ;;
    esac
    printf '| %s | %.1f s | %.2f s | %s |\n' "$label" "$clean" "$incremental" "$crates"
done
