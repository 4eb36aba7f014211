#!/usr/bin/env bash
# Runs schemathesis (`--checks all`) against a running `declutterd serve` and the document it serves at
# GET /openapi.yaml, with the sandbox as the upstream service. Builds nothing: it uses an already built
# declutterd (argument 1, default .build/debug/declutterd). Everything binds 127.0.0.1 only, on ports the
# kernel picks; nothing leaves the machine. Exits with schemathesis's status (or 2 when the daemons do not
# start). Needs schemathesis 4.x for python3 (.ci/run installs the version it pins) or on PATH.
#
# scripts/schemathesis.toml holds the rest of its settings: the request timeouts (one bounds how long an event
# stream is read), and the statuses and response times two checks expect for a few operations (why is written
# there). No check is turned off.
#
# Tunable by environment: SCHEMATHESIS_MAX_EXAMPLES (default 30 per operation and phase),
# SCHEMATHESIS_SEED (default 20261124), SCHEMATHESIS_EXTRA (more arguments, split on spaces).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
binary=${1:-$root/.build/debug/declutterd}
[[ $binary == /* ]] || binary=$PWD/$binary
if [ ! -x "$binary" ]; then
  echo "schemathesis.sh: no declutterd at $binary (build it first: swift build)" >&2
  exit 2
fi
# The schemathesis of python3 (where .ci/run installs it), else the one on PATH.
if python3 -c 'import schemathesis' 2>/dev/null; then
  schemathesis=(python3 -m schemathesis.cli)
elif command -v schemathesis >/dev/null; then
  schemathesis=(schemathesis)
else
  echo "schemathesis.sh: schemathesis is not installed (python3 -m pip install schemathesis)" >&2
  exit 2
fi

max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-30}
seed=${SCHEMATHESIS_SEED:-20261124}

work=$(mktemp -d "${TMPDIR:-/tmp}/declutterd-schemathesis.XXXXXX")
sandbox_pid=
serve_pid=
schemathesis_pid=
stop() {
  local status=$?
  # Every process started here stops on SIGTERM; a stuck one is killed after 10 s.
  for pid in $schemathesis_pid $serve_pid $sandbox_pid; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $schemathesis_pid $serve_pid $sandbox_pid; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
  exit "$status"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Prints the first line of $1 matching $2 once it appears; fails after $3 seconds or when process $4 ends.
await_line() {
  local file=$1 pattern=$2 seconds=$3 pid=$4 line
  for _ in $(seq $((seconds * 10))); do
    if line=$(grep -m1 -E "$pattern" "$file" 2>/dev/null); then printf '%s\n' "$line"; return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  return 1
}

# The upstream: the sandbox, fast (every generation settles within about a second), no injected faults,
# a quota that never runs out.
"$binary" sandbox --port 0 --seed 1 --quota 1000000 --start-ms 50 --min-completion-ms 100 --max-completion-ms 400 \
  >"$work/sandbox.out" 2>"$work/sandbox.err" </dev/null &
sandbox_pid=$!
if ! line=$(await_line "$work/sandbox.out" '^sandbox listening on ' 60 "$sandbox_pid"); then
  echo "schemathesis.sh: the sandbox did not start" >&2
  cat "$work/sandbox.out" "$work/sandbox.err" >&2
  exit 2
fi
sandbox_url=$(sed -nE 's/^sandbox listening on ([^ ]+) .*/\1/p' <<<"$line")
api_key=$(sed -nE 's/.* api_key=([^ ]+).*/\1/p' <<<"$line")
user_id=$(sed -nE 's/.* user_id=([^ ]+).*/\1/p' <<<"$line")

# Keys are required (local.auth = required), as they are wherever the local API leaves loopback: the run holds a
# key with every scope, made on the store before the daemon starts, and sends it with each request. Schemathesis's
# own check that a route refuses a request without it (ignored_auth) runs too.
if ! token=$(env -i PATH="$PATH" HOME="$work" "$binary" keys create schemathesis --scopes read,submit,admin \
      --database-path "$work/declutterd.sqlite" 2>"$work/keys.err"); then
  echo "schemathesis.sh: declutterd keys create failed" >&2
  cat "$work/keys.err" >&2
  exit 2
fi

# The daemon. The callback listener's port is picked here (the callback URL sent upstream names it, so it
# must be known before start); a port taken in between makes serve exit 75, and it is tried again.
# archive.allow_private lets it download the sandbox's result images (served on 127.0.0.1), so the file
# routes answer with real files.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
for attempt in 1 2 3; do
  callbacks_port=$(free_port)
  : >"$work/serve.err"
  env -i PATH="$PATH" HOME="$work" \
    DECLUTTERD_API_KEY="$api_key" \
    DECLUTTERD_UPSTREAM_USER_ID="$user_id" \
    DECLUTTERD_UPSTREAM_BASE_URL="$sandbox_url" \
    DECLUTTERD_DATABASE_PATH="$work/declutterd.sqlite" \
    DECLUTTERD_CALLBACKS_LISTEN="127.0.0.1:$callbacks_port" \
    DECLUTTERD_CALLBACKS_PUBLIC_BASE_URL="http://127.0.0.1:$callbacks_port" \
    DECLUTTERD_POLLING_CALLBACK_GRACE=1s \
    DECLUTTERD_POLLING_INITIAL_INTERVAL=1s \
    DECLUTTERD_POLLING_MAX_INTERVAL=2s \
    DECLUTTERD_POLLING_MAX_PER_SECOND=50 \
    DECLUTTERD_POLLING_MAX_IN_FLIGHT=8 \
    DECLUTTERD_ARCHIVE_ALLOW_PRIVATE=true \
    DECLUTTERD_LOCAL_AUTH=required \
    DECLUTTERD_LOG_LEVEL=info \
    "$binary" serve --set local.listen=127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" </dev/null &
  serve_pid=$!
  # The "ready" line names the bound listeners: `... callbacks=http://127.0.0.1:P local=http://127.0.0.1:Q ... ready`
  # (journal format: `<6>declutterd: ready callbacks=127.0.0.1:P local=127.0.0.1:Q`).
  if ready=$(await_line "$work/serve.err" ' local=[^ ]+.* ready( |$)|: ready .* local=' 60 "$serve_pid"); then break; fi
  if kill -0 "$serve_pid" 2>/dev/null; then
    code="still running, no ready line after 60 s"   # the trap stops it
  else
    wait "$serve_pid" 2>/dev/null && code=0 || code=$?
    serve_pid=
  fi
  if [ "$code" != 75 ] || [ "$attempt" = 3 ]; then
    echo "schemathesis.sh: declutterd serve did not become ready (exit $code)" >&2
    cat "$work/serve.err" >&2
    exit 2
  fi
done
local_address=$(sed -nE 's/.* local=(http:\/\/)?([^ ]+).*/\2/p' <<<"$ready")
base="http://$local_address"
echo "sandbox $sandbox_url, declutterd local API $base, callbacks http://127.0.0.1:$callbacks_port"

# Checks turned off, and why: none (the settings that make two checks fit this API are in schemathesis.toml).
excluded=()

args=(
  --config-file "$root/scripts/schemathesis.toml"
  run "$base/openapi.yaml"
  --url "$base"                       # not the document's `servers` (the default port 8788)
  --header "Host: $local_address"     # said outright: the guard answers 421 to a Host that is not loopback
  --header "Authorization: Bearer $token"
  --checks all
  --max-examples "$max_examples"
  --seed "$seed"
  --workers 1
  --generation-database none          # no example database: every run starts from the seed alone
  --no-color
)
[ ${#excluded[@]} -eq 0 ] || args+=(--exclude-checks "$(IFS=,; echo "${excluded[*]}")")
# shellcheck disable=SC2206
[ -z "${SCHEMATHESIS_EXTRA:-}" ] || args+=(${SCHEMATHESIS_EXTRA})

# In the background and waited for, so that a signal to this script stops it at once (through the trap).
# The timeout is a last guard only, against a hang: the run takes about a minute, a few on a loaded machine.
cd "$work"
timeout 1200 "${schemathesis[@]}" "${args[@]}" &
schemathesis_pid=$!
wait "$schemathesis_pid" && status=0 || status=$?
schemathesis_pid=
if [ "$status" -ne 0 ]; then
  echo "--- declutterd serve log (last 40 lines)"
  tail -n 40 "$work/serve.err"
fi
exit "$status"
