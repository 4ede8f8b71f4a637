#!/usr/bin/env bash
# Copies what the pages need from the npm package `dkfds` (the version pinned in
# web/assets/package-lock.json) into web/assets/vendor/dkfds/, which is committed so that
# `cargo build` needs no npm. Copied: the compiled CSS, every file its url(...) references
# (IBM Plex Sans fonts, icons, images), the SVG icon sprite and the licence. Not the JavaScript:
# the pages work without it.
#
# Run after changing the dkfds version in web/assets/package.json (then `npm install` there to
# update the lockfile), and commit the result.
set -euo pipefail

assets="$(cd "$(dirname "$0")/../web/assets" && pwd)"
cd "$assets"
npm ci --no-audit --no-fund --ignore-scripts
dist="node_modules/dkfds/dist"
out="vendor/dkfds"
rm -rf "$out"
mkdir -p "$out/css" "$out/img"

cp "$dist/css/dkfds.min.css" "$out/css/"
cp "$dist/img/all-svg-icons.svg" "$out/img/"
cp node_modules/dkfds/LICENSE.md "$out/"
version="$(node -p 'require("./node_modules/dkfds/package.json").version')"
echo "$version" > "$out/VERSION"

# Every url(...) in the CSS is relative to css/; copy each file it names.
grep -o 'url([^)]*)' "$dist/css/dkfds.min.css" \
  | sed -e 's/^url(//' -e 's/)$//' -e "s/[\"']//g" -e 's/[?#].*$//' \
  | grep -v '^data:' | sort -u \
  | while read -r ref; do
      case "$ref" in
        ../*) ;;
        *) echo "unexpected url($ref) in dkfds.min.css: not a file inside the package" >&2; exit 1 ;;
      esac
      src="$dist/css/$ref"
      dst="$out/css/$ref"
      if [ ! -f "$src" ]; then
        echo "dkfds.min.css references $ref, which the package does not contain" >&2
        exit 1
      fi
      mkdir -p "$(dirname "$dst")"
      cp "$src" "$dst"
    done
# The font licence travels with the fonts.
cp "$dist/fonts/IBMPlexSans/complete/eot/license.txt" "$out/fonts/IBMPlexSans/LICENSE.txt" 2>/dev/null || true

echo "vendored dkfds $version: $(find "$out" -type f | wc -l) files, $(du -sh "$out" | cut -f1)"
