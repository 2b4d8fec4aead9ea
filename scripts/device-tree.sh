#!/usr/bin/env bash
# Shrinks what a device call carries (its 64 MiB limit counts tracked files, and the shipped bundles
# alone are 57 MB): `keep PATH...` switches the checkout to a temporary orphan branch holding only
# .gitignore and PATH... (taken from main), so the call sends those plus what `carry` names;
# `restore` returns to main and deletes the branch. Needs a clean working tree; run from the repo.
#   scripts/device-tree.sh keep python          # then: device run with carry [".device-data"]
#   scripts/device-tree.sh restore
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
case ${1:-} in
  keep)
    shift
    [[ -z "$(git status --porcelain)" ]] || { echo "device-tree: the working tree is not clean" >&2; git status --porcelain >&2; exit 1; }
    cp "$0" /tmp/device-tree.sh  # this script is removed from the tree with the rest
    git checkout -q --orphan device-tmp
    git rm -r -q -f .
    git checkout main -- .gitignore "$@"
    git commit -q -m "device tree (temporary)"
    echo "device-tree: $(git ls-files | wc -l) files, $(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1) bytes; restore with /tmp/device-tree.sh restore" ;;
  restore)
    git checkout -q -f main
    git branch -D device-tmp ;;
  *)
    echo "usage: scripts/device-tree.sh keep PATH... | restore" >&2; exit 2 ;;
esac
