#!/bin/sh
# The image's entrypoint: runs one Glimpse app, chosen by the first argument or by GLIMPSE_APP.
#   api | registry | cache-agent | scrubber | pruner   that app over NATS (dist/apps/<app>/main.js)
#   migrate                                            apply the schema migrations and exit
#   scrub [--daemon | restore <image id>]              the scrubber's one-shot CLI
#   embedded                                           all five apps in one process (SQLite, file store)
# Arguments after the app name go to it (e.g. --config-file /etc/glimpse/glimpse.conf).
set -eu

usage() {
  echo "usage: [GLIMPSE_APP=<app>] entrypoint.sh [api|registry|cache-agent|scrubber|pruner|migrate|scrub|embedded] [args...]" >&2
  exit 64
}

app="${GLIMPSE_APP:-api}"
case "${1:-}" in
  api | registry | cache-agent | scrubber | pruner | migrate | scrub | embedded) app="$1"; shift ;;
  -*| '') ;;
  *) echo "entrypoint: unknown app '$1'" >&2; usage ;;
esac

case "$app" in
  api | registry | cache-agent | scrubber | pruner) main="dist/apps/$app/main.js" ;;
  migrate) main="dist/apps/registry/migrate.js" ;;
  scrub) main="dist/apps/scrubber/scrub.js" ;;
  embedded) main="bin/glimpse.js" ;;
  *) echo "entrypoint: GLIMPSE_APP=$app is not an app" >&2; usage ;;
esac

# The image's defaults (container.conf) come first, so that every config file given after them and
# every GLIMPSE_* variable wins: --config-file arguments replace GLIMPSE_CONFIG_FILE altogether.
defaults=/app/deploy/docker/container.conf
config_args=false
for arg in "$@"; do
  case "$arg" in --config-file | --config-file=*) config_args=true ;; esac
done
if [ "$config_args" = true ]; then
  set -- --config-file "$defaults" "$@"
else
  GLIMPSE_CONFIG_FILE="$defaults${GLIMPSE_CONFIG_FILE:+,$GLIMPSE_CONFIG_FILE}"
  export GLIMPSE_CONFIG_FILE
fi

# GLIMPSE_APP selects the program; it is not a configuration option, and the config loader refuses
# GLIMPSE_* variables it does not know, so the app does not inherit it.
exec env -u GLIMPSE_APP node "/app/$main" "$@"
