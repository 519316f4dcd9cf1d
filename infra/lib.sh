# Shared shell helpers for GovLake set-up and service scripts (sourced, not executed).
# Every service writes its pid to $GOVLAKE_RUN/<name>.pid and its log to $GOVLAKE_LOGS/<name>.log.

log()  { printf '[govlake] %s\n' "$*" >&2; }
die()  { printf '[govlake] ERROR: %s\n' "$*" >&2; exit 1; }

pidfile() { echo "$GOVLAKE_RUN/$1.pid"; }

# is_running NAME -> 0 if the recorded pid is alive
is_running() {
  local pf; pf=$(pidfile "$1")
  [ -f "$pf" ] && kill -0 "$(cat "$pf")" 2>/dev/null
}

# start_bg NAME LOGFILE CMD... : start CMD detached in its own process group, record its pid.
start_bg() {
  local name=$1 logf=$2; shift 2
  mkdir -p "$GOVLAKE_RUN" "$(dirname "$logf")"
  if is_running "$name"; then log "$name already running (pid $(cat "$(pidfile "$name")"))"; return 0; fi
  setsid "$@" >>"$logf" 2>&1 < /dev/null &
  echo $! > "$(pidfile "$name")"
}

# wait_http NAME URL TIMEOUT_S LOGFILE : bounded wait for an HTTP endpoint answering 2xx/3xx/401.
# On timeout or early death prints a clear message naming the log and returns 1; never hangs.
wait_http() {
  local name=$1 url=$2 timeout=$3 logf=$4 waited=0 code
  while [ "$waited" -lt "$timeout" ]; do
    code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$url" 2>/dev/null || true)
    case "$code" in 2??|3??|401) log "$name is up at $url (${waited}s)"; return 0;; esac
    if ! is_running "$name"; then
      log "$name exited during start-up. Last lines of its log $logf:"
      tail -n 25 "$logf" >&2 2>/dev/null || true
      return 1
    fi
    sleep 2; waited=$((waited + 2))
  done
  log "$name did not answer at $url within ${timeout}s. See its log: $logf"
  tail -n 25 "$logf" >&2 2>/dev/null || true
  return 1
}

# stop_service NAME : SIGTERM the process group, wait up to 30 s, then SIGKILL.
stop_service() {
  local name=$1 pf pid i
  pf=$(pidfile "$name")
  [ -f "$pf" ] || return 0
  pid=$(cat "$pf")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    log "stopped $name"
  fi
  rm -f "$pf"
}

# install_locked_venv VENV LOCKFILE LABEL : (re)create a virtualenv from a lock file, only when the
# lock changed since the last install (a hash marker in the venv), so a second run costs nothing.
install_locked_venv() {
  local venv=$1 lock=$2 label=$3 h
  h=$(sha256sum "$lock" | cut -c1-16)
  [ "$(cat "$venv/.govlake-lock" 2>/dev/null)" = "$h" ] && return 0
  log "creating the $label environment from $lock"
  uv venv -q --allow-existing --python python3 "$venv"
  uv pip install -q -p "$venv/bin/python" -r "$lock"
  echo "$h" > "$venv/.govlake-lock"
}

# ensure_port_free NAME PORT : refuse to start NAME when something else already listens on PORT
# (otherwise the readiness wait would take the other process's answer for ours).
ensure_port_free() {
  if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then
    die "cannot start $1: port $2 is already in use by another process (another GovLake instance? 'make down', or set the GOVLAKE_*_PORT / GOVLAKE_PORT_OFFSET variables)"
  fi
}
