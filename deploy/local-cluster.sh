#!/usr/bin/env bash
# An N-node pyfleet cluster on this machine, on loopback ports, for trying the cluster out and for tests.
#
#   deploy/local-cluster.sh up N [--workers W] [--timeout SECONDS] [-- NODE-OPTIONS...]
#   deploy/local-cluster.sh down
#
# `up` builds what is missing (through the ./pyfleet launcher, once), generates one token into a 0600
# file, starts node-1 .. node-N (node-1 is the seed; every port is a free one), waits until each node
# has printed `cluster members up: N`, then prints each node's gateway address HOST:PORT, one per line,
# and last the path of the token file (one line PYFLEET_TOKEN=..., usable as --token-file or with
# `export $(cat FILE)`). `down` stops them all: SIGTERM, SIGKILL after a grace, then it waits until
# no node and none of their Python workers is left.
#
# State (logs node-K.out/.err, pid files, the token, the addresses) lives in
# ${PYFLEET_CLUSTER_DIR:-$HOME/.pyfleet/local-cluster}. A pid file holds "PID START" (START: field 22 of
# /proc/PID/stat), so a pid the kernel has since reused is never signalled.
# Environment: PYFLEET_CLUSTER_DIR, PYFLEET_CLUSTER_GRACE (seconds before SIGKILL, default 30),
# PYFLEET_LAUNCHER (default: the repository's ./pyfleet).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The launcher builds what is missing first; tests point PYFLEET_LAUNCHER at a stand-in.
LAUNCHER="${PYFLEET_LAUNCHER:-$ROOT/pyfleet}"
STATE="${PYFLEET_CLUSTER_DIR:-$HOME/.pyfleet/local-cluster}"
HOST=127.0.0.1
GRACE="${PYFLEET_CLUSTER_GRACE:-30}"

usage() {
  cat <<EOF
usage: $(basename "$0") up N [--workers W] [--timeout SECONDS] [-- NODE-OPTIONS...]
       $(basename "$0") down

  up N        start an N-node cluster on $HOST (node-1 is the seed), wait until all N are up,
              print each gateway HOST:PORT and then the token file's path
  --workers   Python workers per node (default 2)
  --timeout   seconds to wait for the cluster to form (default 120; the first build is not counted)
  --          the rest goes to every './pyfleet node' as it is (e.g. --config my.conf)
  down        stop every node 'up' started (SIGTERM, SIGKILL after \$PYFLEET_CLUSTER_GRACE s)

state: $STATE (set PYFLEET_CLUSTER_DIR to change)
EOF
}

die() { echo "local-cluster: $*" >&2; exit 1; }
usage_error() { echo "local-cluster: $*; see '$(basename "$0") --help'" >&2; exit 2; }
note() { echo "local-cluster: $*" >&2; }

is_count() { [[ "$1" =~ ^[1-9][0-9]*$ ]]; }

# "STATE START" of a process: its state letter and field 22 of /proc/PID/stat, its start time, which
# tells a process from a later one with the same pid.
proc_state() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  # The command name (field 2) may hold spaces: count from after its closing parenthesis.
  stat="${stat##*) }"
  local -a fields
  read -r -a fields <<<"$stat"
  echo "${fields[0]} ${fields[19]}"
}

start_time() {
  local state
  state="$(proc_state "$1")" || return 1
  echo "${state#* }"
}

# True while PID is still the process that had START (and is not a zombie).
alive() {
  local state
  state="$(proc_state "$1")" || return 1
  [[ "${state#* }" == "$2" && "${state%% *}" != Z ]]
}

# The processes a node owns: its descendants and, as workers start sessions of their own, every
# member of those sessions (a worker's forked children), as "PID START" lines.
owned_processes() {
  local pid="$1" child member
  local -a queue=("$pid")
  local -A seen=()
  while ((${#queue[@]})); do
    local p="${queue[0]}"
    queue=("${queue[@]:1}")
    for child in $(pgrep -P "$p" || true); do
      [[ -n "${seen[$child]:-}" ]] && continue
      seen[$child]=1
      queue+=("$child")
      for member in $(pgrep -s "$child" || true); do
        [[ -n "${seen[$member]:-}" || "$member" == "$pid" ]] && continue
        seen[$member]=1
        queue+=("$member")
      done
    done
  done
  for p in "${!seen[@]}"; do
    local st
    if st="$(start_time "$p")"; then
      echo "$p $st"
    fi
  done
  return 0
}

# Waits up to $2 seconds until none of the "PID START" lines in $1 is alive; prints those still alive.
wait_gone() {
  local list="$1" seconds="$2" deadline left
  deadline=$((SECONDS + seconds))
  while :; do
    left=""
    while read -r p st; do
      [[ -n "$p" ]] && alive "$p" "$st" && left+="$p $st"$'\n'
    done <<<"$list"
    if [[ -z "$left" || $SECONDS -ge $deadline ]]; then
      printf '%s' "$left"
      return
    fi
    sleep 0.2
  done
}

pid_files() {
  compgen -G "$STATE/node-*.pid" || true
}

# SIGTERM to the nodes in $1 ("PID START" lines), SIGKILL to those still running after $GRACE s.
stop_nodes() {
  local nodes="$1" pid st stuck
  [[ -n "$nodes" ]] || return 0
  while read -r pid st; do
    if [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null; then STOPPED=$((STOPPED + 1)); fi
  done <<<"$nodes"
  stuck="$(wait_gone "$nodes" "$GRACE")"
  if [[ -n "$stuck" ]]; then
    note "$(wc -l <<<"$stuck") node(s) still running ${GRACE}s after SIGTERM: SIGKILL"
    while read -r pid st; do
      if [[ -n "$pid" ]]; then kill -KILL "$pid" 2>/dev/null || true; fi
    done <<<"$stuck"
    wait_gone "$stuck" 10 >/dev/null
  fi
}

# Stops every node with a pid file in the state dir, and what they own; quiet when there is none.
stop_all() {
  local files seed="" others="" owned="" f pid st
  files="$(pid_files)"
  [[ -z "$files" ]] && return 1
  while read -r f; do
    read -r pid st <"$f" || true
    if [[ -n "${pid:-}" && -n "${st:-}" ]] && alive "$pid" "$st"; then
      if [[ "$f" == */node-1.pid ]]; then seed="$pid $st"; else others+="$pid $st"$'\n'; fi
      owned+="$(owned_processes "$pid")"$'\n'
    fi
  done <<<"$files"
  STOPPED=0
  # The seed goes last: nodes that leave while it still runs are removed cleanly, instead of seeing
  # each other vanish (unreachable, then downed by the split brain resolver after stable-after).
  stop_nodes "$others"
  stop_nodes "$seed"
  # A node kills its workers' process groups as it stops; after a SIGKILL of the node, its workers
  # see their pipe close and exit by themselves. Give them that time, then make sure.
  local left
  left="$(wait_gone "$owned" 10)"
  if [[ -n "$left" ]]; then
    note "$(wc -l <<<"$left") worker process(es) outlived their node: SIGKILL"
    while read -r pid st; do
      if [[ -n "$pid" ]]; then kill -KILL "$pid" 2>/dev/null || true; fi
    done <<<"$left"
    left="$(wait_gone "$left" 5)"
  fi
  [[ -z "$left" ]] || die "processes still running after SIGKILL: $(awk '{print $1}' <<<"$left" | tr '\n' ' ')"
  rm -f "$STATE"/node-*.pid "$STATE/addresses" "$STATE/token"
}

cmd_down() {
  (($# == 0)) || usage_error "down takes no arguments"
  STOPPED=0
  if ! stop_all; then
    echo "local-cluster: nothing to stop (no cluster state in $STATE)"
    return 0
  fi
  echo "local-cluster: stopped $STOPPED node(s); no process left (logs kept in $STATE)"
}

# A free TCP port on $HOST (the kernel's pick; released again, so a short race is possible).
free_port() {
  local py="$ROOT/python/.venv/bin/python"
  [[ -x "$py" ]] || py="${PYFLEET_BOOTSTRAP_PYTHON:-python3}"
  "$py" -c 'import socket, sys
s = socket.socket()
s.bind((sys.argv[1], 0))
print(s.getsockname()[1])' "$HOST"
}

show_log_tail() {
  local k="$1"
  {
    echo "--- $STATE/node-$k.err ---"
    # The first lines say why a start failed (a usage error comes before the usage), the last what went on.
    if (($(wc -l <"$STATE/node-$k.err" 2>/dev/null || echo 0) > 45)); then
      head -n 10 "$STATE/node-$k.err"
      echo "[...]"
      tail -n 30 "$STATE/node-$k.err"
    else
      cat "$STATE/node-$k.err" 2>/dev/null || true
    fi
    echo "--- $STATE/node-$k.out ---"
    tail -n 10 "$STATE/node-$k.out" 2>/dev/null || true
    echo "---"
  } >&2
}

cmd_up() {
  local n="" workers=2 timeout=120
  local -a extra=()
  while (($#)); do
    case "$1" in
      --workers) (($# >= 2)) || usage_error "--workers needs a value"; workers="$2"; shift 2 ;;
      --timeout) (($# >= 2)) || usage_error "--timeout needs a value"; timeout="$2"; shift 2 ;;
      --) shift; extra=("$@"); break ;;
      -*) usage_error "unknown option '$1'" ;;
      *) [[ -z "$n" ]] || usage_error "unexpected argument '$1'"; n="$1"; shift ;;
    esac
  done
  [[ -n "$n" ]] || usage_error "up needs the number of nodes"
  is_count "$n" || usage_error "the number of nodes must be a whole number of 1 or more, not '$n'"
  is_count "$workers" || usage_error "--workers must be a whole number of 1 or more, not '$workers'"
  is_count "$timeout" || usage_error "--timeout must be a whole number of seconds, not '$timeout'"

  local f pid st
  while read -r f; do
    [[ -n "$f" ]] || continue
    read -r pid st <"$f" || true
    if [[ -n "${pid:-}" && -n "${st:-}" ]] && alive "$pid" "$st"; then
      die "a local cluster is already running (state in $STATE); stop it first with: $0 down"
    fi
  done <<<"$(pid_files)"
  mkdir -p "$STATE"
  chmod 700 "$STATE"
  rm -f "$STATE"/node-*.pid "$STATE"/node-*.out "$STATE"/node-*.err "$STATE/addresses" "$STATE/token"

  # One launcher run first builds what is missing, so that N nodes do not all build at once.
  note "checking the build (./pyfleet builds on first use)..."
  if ! "$LAUNCHER" node --help >"$STATE/node-help.txt" 2>"$STATE/build.log"; then
    tail -n 40 "$STATE/build.log" >&2
    die "'./pyfleet node --help' failed (output above, full log in $STATE/build.log)"
  fi
  grep -q -- '--seed' "$STATE/node-help.txt" \
    || die "this build's './pyfleet node' has no cluster mode (no --seed option); nothing started"

  # One token, the cluster's shared secret and the clients' gateway token.
  local token_file="$STATE/token"
  (umask 077 && printf 'PYFLEET_TOKEN=%s\n' "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" >"$token_file")
  chmod 600 "$token_file"

  local seed_port
  seed_port="$(free_port)" || die "could not find a free port on $HOST"
  trap 'note "interrupted: stopping the nodes started so far"; stop_all || true; exit 130' INT TERM

  local k
  for ((k = 1; k <= n; k++)); do
    local cluster_port=0
    ((k == 1)) && cluster_port="$seed_port"
    # setsid: the nodes outlive this script and a Ctrl-C in its terminal; no inherited PYFLEET_TOKEN
    # may take precedence over the cluster's token file.
    env -u PYFLEET_TOKEN setsid "$LAUNCHER" node --name "node-$k" --bind "$HOST" --port 0 --workers "$workers" \
      --token-file "$token_file" --cluster-port "$cluster_port" --seed "$HOST:$seed_port" ${extra[@]+"${extra[@]}"} \
      </dev/null >"$STATE/node-$k.out" 2>"$STATE/node-$k.err" &
    pid=$!
    st="$(start_time "$pid")" || st=""
    echo "$pid $st" >"$STATE/node-$k.pid"
  done
  note "started $n node(s) (seed node-1 on $HOST:$seed_port), waiting for all to be up (${timeout}s at most)..."

  local deadline=$((SECONDS + timeout)) joined
  while :; do
    joined=0
    for ((k = 1; k <= n; k++)); do
      read -r pid st <"$STATE/node-$k.pid"
      if grep -qx "cluster members up: $n" "$STATE/node-$k.out" 2>/dev/null; then
        joined=$((joined + 1))
      elif ! alive "$pid" "$st"; then
        local rc=""
        wait "$pid" 2>/dev/null || rc=$?
        show_log_tail "$k"
        stop_all || true
        die "node-$k exited (status ${rc:-0}) before the cluster had $n members up; its log is above"
      fi
    done
    ((joined == n)) && break
    if ((SECONDS >= deadline)); then
      for ((k = 1; k <= n; k++)); do
        if ! grep -qx "cluster members up: $n" "$STATE/node-$k.out" 2>/dev/null; then
          show_log_tail "$k"
          stop_all || true
          die "node-$k did not see $n members up within ${timeout}s; its log is above; every node was stopped"
        fi
      done
    fi
    sleep 0.5
  done
  trap - INT TERM

  local line addresses=""
  for ((k = 1; k <= n; k++)); do
    line="$(grep -m1 '^pyfleet node .* listening on ' "$STATE/node-$k.out")" \
      || die "node-$k printed no 'listening on' line"
    addresses+="${line##* listening on }"$'\n'
  done
  printf '%s' "$addresses" >"$STATE/addresses"
  printf '%s' "$addresses"
  echo "$token_file"
}

# /proc, pgrep and setsid: Linux with procps and util-linux.
for tool in pgrep setsid; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' was not found on PATH (Debian: apt-get install procps util-linux)"
done
[[ -r /proc/self/stat ]] || die "/proc is not readable: this script runs on Linux only"

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  -h | --help | help) usage ;;
  "") usage_error "a command is needed: up or down" ;;
  *) usage_error "unknown command '$1'" ;;
esac
