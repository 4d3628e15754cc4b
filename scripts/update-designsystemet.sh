#!/usr/bin/env bash
# Vendor Digdir's Designsystemet CSS into static/vendor/designsystemet/, so the site needs no
# build step and no CDN at run time. Run it by hand to move to another version, then run the
# browser tests (tests/browser/) and commit the result:
#
#   scripts/update-designsystemet.sh [CSS_VERSION] [THEME_VERSION] [BRAND]
#
# CSS_VERSION   version of @digdir/designsystemet-css (the components), default below
# THEME_VERSION version of @digdir/designsystemet-theme (the colours, sizes, type), default below
# BRAND         the theme's brand file: digdir, altinn, uutilsynet or portal (default digdir)
#
# It fetches the packages with `npm pack` (the npm registry's tarballs; nothing is installed),
# copies the plain CSS and the licences, and refuses CSS that would load anything from
# elsewhere (@import or url() other than inline data: images).
set -euo pipefail

CSS_VERSION="${1:-1.22.0}"
THEME_VERSION="${2:-1.11.0}"
BRAND="${3:-digdir}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET="$ROOT/static/vendor/designsystemet"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cd "$WORK"
npm pack --silent "@digdir/designsystemet-css@$CSS_VERSION" "@digdir/designsystemet-theme@$THEME_VERSION" >/dev/null
mkdir css theme
tar -xzf "digdir-designsystemet-css-$CSS_VERSION.tgz" -C css
tar -xzf "digdir-designsystemet-theme-$THEME_VERSION.tgz" -C theme

components="css/package/dist/src/index.css"
brand="theme/package/brand/$BRAND.css"
for file in "$components" "$brand"; do
  [ -f "$file" ] || { echo "missing in the package: $file" >&2; exit 1; }
  if grep -q '@import' "$file"; then
    echo "$file imports another stylesheet; refusing to vendor it" >&2; exit 1
  fi
  if grep -o 'url([^)]*)' "$file" | grep -qv '^url(["'"'"']\?data:'; then
    echo "$file refers to files by url(); refusing to vendor it" >&2; exit 1
  fi
done

mkdir -p "$TARGET"
rm -f "$TARGET"/*.css
cp "$components" "$TARGET/designsystemet.css"
cp "$brand" "$TARGET/theme-$BRAND.css"
cp css/package/LICENSE "$TARGET/LICENSE-designsystemet-css"
cp theme/package/LICENSE "$TARGET/LICENSE-designsystemet-theme"
cat > "$TARGET/VERSION" <<VERSIONS
@digdir/designsystemet-css $CSS_VERSION dist/src/index.css -> designsystemet.css
@digdir/designsystemet-theme $THEME_VERSION brand/$BRAND.css -> theme-$BRAND.css
Fetched with scripts/update-designsystemet.sh (npm pack); do not edit these files by hand.
VERSIONS
echo "Designsystemet css $CSS_VERSION, theme $THEME_VERSION ($BRAND) in $TARGET"
