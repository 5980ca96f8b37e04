#!/usr/bin/env bash
# Builds and runs the samples the way a user does (README, "Use pyfleet in your project"): each one copied
# out of the checkout into a temporary directory, built there with `mvn -q package` against the pyfleet
# artifacts in the local Maven repository (`./pyfleet install` puts them there), and run with `java -jar`.
# The thin client calls a node this script starts (`./pyfleet node --port 0`, a token file of its own) and
# stops again; the embedded sample runs its own node. Each sample's output is checked; any failure exits
# non-zero with a message naming the sample and its log. `./pyfleet test` runs this after `./pyfleet install`.
#
# Environment: PYFLEET_PYTHON (the workers' interpreter; default the checkout's python/.venv/bin/python),
# PYFLEET_MAVEN_REPO (a local Maven repository instead of the user's, as for ./pyfleet), PYFLEET_LAUNCHER
# (default the checkout's ./pyfleet), PYFLEET_SAMPLES_TIMEOUT (seconds each step may take, default 300).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAUNCHER="${PYFLEET_LAUNCHER:-$ROOT/pyfleet}"
PYTHON="${PYFLEET_PYTHON:-$ROOT/python/.venv/bin/python}"
STEP_TIMEOUT="${PYFLEET_SAMPLES_TIMEOUT:-300}"
MVN_ARGS=(-q -B)
if [[ -n "${PYFLEET_MAVEN_REPO:-}" ]]; then
  MVN_ARGS+=("-Dmaven.repo.local=$(realpath -m "$PYFLEET_MAVEN_REPO")")
fi

note() { echo "samples: $*" >&2; }
fail() {
  echo "samples: FAILED: $*" >&2
  exit 1
}

for tool in java mvn setsid timeout; do
  command -v "$tool" >/dev/null 2>&1 || fail "'$tool' was not found on PATH"
done
[[ -x "$PYTHON" ]] || fail "no Python interpreter at $PYTHON (set PYFLEET_PYTHON, or run ./pyfleet once to make python/.venv)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/pyfleet-samples.XXXXXX")"
NODE_PID=""

# Stops the node this script started: SIGTERM to its session (the node and its workers), SIGKILL after 30 s.
stop_node() {
  [[ -n "$NODE_PID" ]] || return 0
  local pid="$NODE_PID"
  NODE_PID=""
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    note "the node (pid $pid) did not stop within 30 s of SIGTERM; killing it"
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  # Its workers are in sessions of their own; the node stops them. Whatever is left of its session goes too.
  pkill -KILL -s "$pid" 2>/dev/null || true
}

cleanup() {
  stop_node
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The version the samples' poms must name: this checkout's.
version="$(sed -n 's:^  <version>\(.*\)</version>.*:\1:p' "$ROOT/bom/pom.xml" | head -1)"
[[ -n "$version" ]] || fail "could not read the version from bom/pom.xml"

# Copies samples/NAME to the work directory and builds it there; prints the copy's directory.
build_sample() {
  local name="$1" dir="$WORK/$1"
  local named
  named="$(sed -n 's:.*<pyfleet.version>\(.*\)</pyfleet.version>.*:\1:p' "$ROOT/samples/$name/pom.xml")"
  [[ "$named" == "$version" ]] \
    || fail "samples/$name/pom.xml names pyfleet.version '$named' but this checkout is $version: update the sample"
  mkdir -p "$dir"
  (cd "$ROOT/samples/$name" && tar --exclude=./target -cf - .) | (cd "$dir" && tar -xf -)
  local start=$SECONDS
  if ! (cd "$dir" && timeout "$STEP_TIMEOUT" mvn "${MVN_ARGS[@]}" package) >"$WORK/$name-build.log" 2>&1; then
    cat "$WORK/$name-build.log" >&2
    fail "samples/$name did not build with 'mvn -q package' in a copy outside the checkout (output above); are the artifacts installed (./pyfleet install)?"
  fi
  note "samples/$name built in $((SECONDS - start)) s"
  echo "$dir"
}

# Checks that FILE holds a line matching each extended regex; on a miss prints FILE and fails.
expect_lines() {
  local name="$1" file="$2"
  shift 2
  local re
  for re in "$@"; do
    if ! grep -Eq -- "$re" "$file"; then
      cat "$file" >&2
      fail "samples/$name printed no line matching /$re/ (its output above)"
    fi
  done
}

run_thin_client() {
  local dir
  dir="$(build_sample thin-client)"
  check_same_jars thin-client "$dir"
  local token_file="$WORK/gateway.token"
  (umask 077 && printf 'PYFLEET_TOKEN=%s\n' "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" >"$token_file")
  # A session of its own, so that stopping it reaches nothing else; PYFLEET_TOKEN unset so the file is the token.
  env -u PYFLEET_TOKEN PYFLEET_PYTHON="$PYTHON" setsid "$LAUNCHER" node --bind 127.0.0.1 --port 0 --workers 1 \
    --token-file "$token_file" >"$WORK/node.out" 2>"$WORK/node.err" </dev/null &
  NODE_PID=$!
  local deadline=$((SECONDS + STEP_TIMEOUT)) line=""
  while :; do
    line="$(grep -m1 ' listening on ' "$WORK/node.out" 2>/dev/null || true)"
    [[ -n "$line" ]] && break
    if ! kill -0 "$NODE_PID" 2>/dev/null; then
      cat "$WORK/node.err" >&2
      NODE_PID=""
      fail "the node for samples/thin-client exited before it served (its log above)"
    fi
    ((SECONDS < deadline)) || { cat "$WORK/node.err" >&2; fail "the node for samples/thin-client did not serve within ${STEP_TIMEOUT} s"; }
    sleep 0.2
  done
  local address="${line##* listening on }"
  local start=$SECONDS
  # As the README says: the token from the node's token file, the address as the argument.
  # shellcheck disable=SC2046 # the file is one line PYFLEET_TOKEN=...
  if ! (cd "$dir" && export $(cat "$token_file") && timeout "$STEP_TIMEOUT" java -jar target/thin-client.jar "$address") \
      >"$WORK/thin-client.out" 2>&1; then
    cat "$WORK/thin-client.out" >&2
    fail "samples/thin-client failed against the node at $address (output above)"
  fi
  expect_lines thin-client "$WORK/thin-client.out" \
    '^math\.sqrt\(2\) = 1\.4142135623730951$' \
    "^int\\('101010', base=2\\) = 42$" \
    '^numpy\.linspace\(0, 1, 5\) = \[0\.0, 0\.25, 0\.5, 0\.75, 1\.0\]$' \
    '^served by node [^ ]+ \(workers: 1\)$'
  note "samples/thin-client ran in $((SECONDS - start)) s against ./pyfleet node at $address:"
  sed 's/^/  | /' "$WORK/thin-client.out" >&2
  stop_node
}

# The BOM lines up what a user's program resolves with what the build tests with: every jar a sample resolves
# is one the CLI's build resolved too (cluster-node/app/target/lib, where `./pyfleet test` built it).
check_same_jars() {
  local name="$1" dir="$2" app_lib="$ROOT/cluster-node/app/target/lib"
  if [[ ! -d "$app_lib" ]]; then
    note "no $app_lib (nothing built yet): the jars of samples/$name were not compared with the build's"
    return 0
  fi
  local extra
  extra="$(comm -23 <(cd "$dir/target/lib" && ls | sort) <(cd "$app_lib" && ls | sort) | tr '\n' ' ')"
  [[ -z "$extra" ]] || fail "samples/$name resolves jars the build does not test with: ${extra}(compare \
$dir/target/lib with $app_lib: do the BOM and the parent POM disagree on a version?)"
}

run_embedded() {
  local dir
  dir="$(build_sample embedded)"
  check_same_jars embedded "$dir"
  local start=$SECONDS
  if ! (cd "$dir" && PYFLEET_PYTHON="$PYTHON" timeout "$STEP_TIMEOUT" java -jar target/embedded.jar) \
      >"$WORK/embedded.out" 2>&1; then
    cat "$WORK/embedded.out" >&2
    fail "samples/embedded failed (output above)"
  fi
  expect_lines embedded "$WORK/embedded.out" \
    '^workers run Python 3\.[0-9]+\.[0-9]+, NumPy [0-9.]+' \
    '^mymodel\.score\(\[0\.5, 1\.5, 2\.5\]\) = 7\.75$' \
    '^numpy\.sum of 13,107,200 doubles = 58982400\.0$' \
    '^mymodel\.rms of the same = 5\.338539$' \
    'INFO +io\.pyfleet\.worker\.w[0-9]+ - \[stdout\] mymodel\.rms: 13107200 values, 100 MiB$'
  note "samples/embedded ran in $((SECONDS - start)) s:"
  sed 's/^/  | /' "$WORK/embedded.out" >&2
}

run_thin_client
run_embedded
note "both samples built and ran against pyfleet $version"
