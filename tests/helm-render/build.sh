#!/usr/bin/env bash
# Builds helm-render from Debian's Go packages (golang-go, golang-github-masterminds-sprig-dev,
# golang-github-xeipuuv-gojsonschema-dev, golang-k8s-sigs-yaml-dev), offline: every module comes from
# /usr/share/gocode through a replace directive, with a go.mod made for the few that ship none.
#   tests/helm-render/build.sh OUTPUT
set -euo pipefail
output="$(realpath -m "$1")"
source_dir="$(cd "$(dirname "$0")" && pwd)"
gocode=/usr/share/gocode/src
work="$(mktemp -d)"
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cp "$source_dir/main.go" "$work/"

{
  echo "module helmrender"
  echo "go 1.19"
} > "$work/go.mod"

# Module roots: folders with a go.mod, and package folders of the Go import-path shape that have none.
roots=$(cd "$gocode" && { find . -name go.mod -printf '%h\n'; find . -mindepth 3 -maxdepth 3 -type d; } | sed 's|^\./||' | sort -u)
for root in $roots; do
  [ -n "$(ls "$gocode/$root"/*.go 2>/dev/null)" ] || [ -f "$gocode/$root/go.mod" ] || continue
  case "$root" in */*/*) ;; *.*/*) [ -f "$gocode/$root/go.mod" ] || continue ;; *) continue ;; esac
  # A folder inside a module that has its own go.mod above it is part of that module.
  parent="$root"; inside=false
  while [ "$parent" != "." ] && [ "$parent" != "/" ]; do
    parent=$(dirname "$parent")
    if [ -f "$gocode/$parent/go.mod" ]; then inside=true; break; fi
  done
  [ "$inside" = false ] || continue
  if [ -f "$gocode/$root/go.mod" ]; then
    module=$(awk '/^module/ {gsub("\"", "", $2); print $2; exit}' "$gocode/$root/go.mod")
    target="$gocode/$root"
  else
    module="$root"
    target="$work/deps/$root"
    mkdir -p "$target"
    cp -r "$gocode/$root/." "$target/"
    printf 'module %s\ngo 1.12\n' "$module" > "$target/go.mod"
  fi
  case "$module" in
    */v[0-9]*) version="${module##*/}.0.0" ;;
    gopkg.in/*.v[0-9]*) version="v${module##*.v}.0.0" ;;
    *) version="v0.0.0" ;;
  esac
  echo "require $module $version" >> "$work/go.mod"
  echo "replace $module => $target" >> "$work/go.mod"
done

cd "$work"
export GOFLAGS=-mod=mod GOPROXY=off GOSUMDB=off GOCACHE="${GOCACHE:-$work/cache}" GOPATH="$work/gopath"
# Modules that the dependencies' go.mod files name but Debian does not ship (test-only requirements): an empty
# module stands in, so the module graph resolves; no package of theirs is built.
for _ in $(seq 1 40); do
  if go build -o "$output" . 2>"$work/errors"; then
    exit 0
  fi
  missing=$(grep -o '[^ 	]*@v[^:]*: module lookup disabled' "$work/errors" | head -1 | sed 's/: module lookup disabled//')
  if [ -z "$missing" ]; then
    cat "$work/errors" >&2
    exit 1
  fi
  module="${missing%@*}"
  mkdir -p "$work/stubs/$module"
  printf 'module %s\n' "$module" > "$work/stubs/$module/go.mod"
  echo "replace $module => $work/stubs/$module" >> go.mod
done
cat "$work/errors" >&2
exit 1
