#!/usr/bin/env bash
# compose's Kafka: create the SCRAM users, then start the broker exactly as the apache/kafka image does.
# KRaft keeps SCRAM credentials in the metadata log, so they are written when the storage is formatted,
# once: one user per mounted secret /run/secrets/kafka_<user> (every service, and `admin`).
# The image's own start script formats too; it accepts an already formatted directory and goes on.
# Passwords are never echoed; they reach the storage tool through an @file, not its command line.
set -euo pipefail
secrets=/run/secrets

if [[ ! -f "$KAFKA_LOG_DIRS/meta.properties" ]]; then
  umask_before=$(umask)
  umask 077  # the temporary files hold passwords
  props=$(mktemp)
  args=$(mktemp)
  trap 'rm -f "$props" "$args"' EXIT

  # server.properties from the KAFKA_* variables, by the image's own rule (KafkaDockerWrapper):
  # strip KAFKA_, lower-case, '_' -> '.', '___' -> '-', '__' -> '_'
  for name in $(compgen -e | grep '^KAFKA_'); do
    case $name in
      KAFKA_VERSION|KAFKA_HEAP_OPTS|KAFKA_LOG4J_OPTS|KAFKA_OPTS|KAFKA_JMX_OPTS|KAFKA_JVM_PERFORMANCE_OPTS|\
      KAFKA_GC_LOG_OPTS|KAFKA_LOG4J_ROOT_LOGLEVEL|KAFKA_LOG4J_LOGGERS|KAFKA_TOOLS_LOG4J_LOGLEVEL|KAFKA_JMX_HOSTNAME) continue ;;
    esac
    key=${name#KAFKA_}
    key=${key,,}
    key=${key//_/.}
    key=${key//.../-}
    key=${key//../_}
    printf '%s=%s\n' "$key" "${!name}"
  done > "$props"

  users=()
  for file in "$secrets"/kafka_*; do
    [[ -f $file ]] || { echo "no Kafka secrets in $secrets (kafka_<user> files)" >&2; exit 1; }
    user=${file##*/kafka_}
    password=$(tr -d '\r\n' < "$file")
    # the storage tool splits on ',' and ']', and the clients' JAAS line quotes with '"'
    if [[ ! $password =~ ^[A-Za-z0-9._~+/=-]{12,}$ ]]; then
      echo "$file: the password must be 12+ characters of A-Z a-z 0-9 . _ ~ + / = -" >&2
      exit 1
    fi
    printf -- '--add-scram\nSCRAM-SHA-512=[name=%s,password=%s]\n' "$user" "$password" >> "$args"
    users+=("$user")
  done
  /opt/kafka/bin/kafka-storage.sh format --cluster-id "$CLUSTER_ID" --config "$props" @"$args"
  echo "SCRAM-SHA-512 users created: ${users[*]}"
  rm -f "$props" "$args"
  umask "$umask_before"
fi

exec /etc/kafka/docker/run
