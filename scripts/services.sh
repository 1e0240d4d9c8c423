#!/usr/bin/env bash
# Makes sure the real services the integration tests use are up: MariaDB, NATS with JetStream,
# and OpenStack Swift with its S3 API (scripts/objstore, tempauth on 127.0.0.1:18080, and a
# Keystone-auth one on 18180 with scripts/keystone's Keystone). Starts
# each one that is down (as this machine's image starts them) and fails, naming the service,
# when it cannot.
set -uo pipefail

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {
  local name=$1 port=$2
  for _ in $(seq 1 60); do up "$port" && return 0; sleep 0.5; done
  echo "scripts/services.sh: $name is not reachable on 127.0.0.1:$port and could not be started" >&2
  exit 1
}

if ! up 3306; then
  echo "scripts/services.sh: starting MariaDB"
  if command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ]; then
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd >/dev/null 2>&1 || true
  else
    echo "scripts/services.sh: MariaDB is not installed (apt-get install mariadb-server)" >&2
    exit 1
  fi
fi
wait_for MariaDB 3306

if ! up 4222; then
  echo "scripts/services.sh: starting NATS with JetStream"
  if [ -x /usr/sbin/nats-server ]; then
    mkdir -p /var/lib/nats-server
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
      -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log >/dev/null 2>&1 || true
  else
    echo "scripts/services.sh: NATS is not installed (apt-get install nats-server)" >&2
    exit 1
  fi
fi
wait_for "NATS (with JetStream)" 4222
# Idempotent: a running, healthy Swift only prints its endpoint again.
if ! bash "$(dirname "$0")/objstore/start.sh" >/tmp/glimpse-objstore-start.log 2>&1; then
  cat /tmp/glimpse-objstore-start.log >&2
  echo "scripts/services.sh: OpenStack Swift with S3 API (scripts/objstore/start.sh) could not be started" >&2
  exit 1
fi
wait_for "OpenStack Swift with S3 API" 18080
# A second Swift with Keystone v3 auth (it starts scripts/keystone's Keystone on 15000 if needed),
# for the Swift driver's Keystone tests.
if ! OBJSTORE_AUTH=keystone OBJSTORE_PORT=18180 OBJSTORE_DIR=/tmp/glimpse-objstore-keystone \
    bash "$(dirname "$0")/objstore/start.sh" >/tmp/glimpse-objstore-keystone-start.log 2>&1; then
  cat /tmp/glimpse-objstore-keystone-start.log >&2
  echo "scripts/services.sh: OpenStack Swift with Keystone auth (scripts/objstore/start.sh, keystone mode) could not be started" >&2
  exit 1
fi
wait_for "OpenStack Swift with Keystone auth" 18180
echo "scripts/services.sh: MariaDB, NATS, Swift/S3 and Keystone are up"
