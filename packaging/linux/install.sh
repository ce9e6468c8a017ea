#!/bin/sh
# Put Creator Studio in this user's desktop menu: run it from the unpacked creator-studio/ folder.
#   ./install.sh              menu entry, icons, AppStream metainfo, ~/.local/bin/creator-studio
#   ./install.sh --uninstall  remove them again (the folder itself and your drafts stay)
# Nothing needs root; the app keeps running from this folder, so do not move it afterwards
# (or run ./install.sh again from the new place).
set -eu

APP_ID=org.creatorstudio.CreatorStudio
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
BIN=$HOME/.local/bin

FILES="applications/$APP_ID.desktop metainfo/$APP_ID.metainfo.xml \
icons/hicolor/256x256/apps/$APP_ID.png icons/hicolor/scalable/apps/$APP_ID.svg"

if [ "${1:-}" = "--uninstall" ]; then
    for f in $FILES; do rm -f "$DATA/$f"; done
    if [ -L "$BIN/creator-studio" ]; then rm -f "$BIN/creator-studio"; fi
    echo "Creator Studio removed from the menu (this folder and your drafts are kept)."
    exit 0
fi

if [ ! -x "$HERE/creator-studio" ]; then
    echo "install.sh: run it from the unpacked creator-studio folder ($HERE/creator-studio is missing)" >&2
    exit 1
fi

for f in $FILES; do
    mkdir -p "$(dirname "$DATA/$f")"
    cp "$HERE/share/$f" "$DATA/$f"
done
# The menu entry starts this very folder's executable (Exec/TryExec need a full path here).
sed -i -e "s|^Exec=creator-studio|Exec=\"$HERE/creator-studio\"|" \
    -e "s|^TryExec=creator-studio|TryExec=$HERE/creator-studio|" "$DATA/applications/$APP_ID.desktop"
mkdir -p "$BIN"
ln -sf "$HERE/creator-studio" "$BIN/creator-studio"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$DATA/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$DATA/icons/hicolor" || true
echo "Creator Studio is in your applications menu; from a terminal: $BIN/creator-studio"
