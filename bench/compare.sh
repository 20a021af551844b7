#!/usr/bin/env bash
# ZkCompat vs Debian's Java ZooKeeper 3.8, same machine, same disk, same zoo.cfg settings.
# Each workload runs against a fresh server of each kind in turn (Java, ZkCompat, Java, ZkCompat, ...),
# then the table goes to stdout and to bench/RESULTS.md. Only 127.0.0.1 is ever contacted.
# ens-* workloads run against a fresh 3-node ensemble whose peers are all of one kind.
#
#   bash bench/compare.sh [--quick] [--rounds N] [--workloads get,set,...] [--duration S] [--warmup S]
#                         [--nodes N] [--out FILE] [--no-build] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
COMMAND_LINE="bash bench/compare.sh $*"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

ALL_WORKLOADS="get,set,churn,mix,fanout,storm,bulk,ens-set,ens-mix"
QUICK=0
ROUNDS=""
WORKLOADS="$ALL_WORKLOADS"
DURATION=""
WARMUP=""
BULK_NODES=""
OUT="bench/RESULTS.md"
BUILD=1
KEEP=0

usage() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --rounds) ROUNDS="$2"; shift ;;
    --workloads) WORKLOADS="$2"; shift ;;
    --duration) DURATION="$2"; shift ;;
    --warmup) WARMUP="$2"; shift ;;
    --nodes) BULK_NODES="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    --no-build) BUILD=0 ;;
    --keep) KEEP=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

# Sizes: a normal run is what the results are quoted from; --quick only shows that everything works.
if [ "$QUICK" = 1 ]; then
  : "${ROUNDS:=1}" "${DURATION:=3}" "${WARMUP:=1}" "${BULK_NODES:=20000}"
  WATCHERS=100; FANOUT_ROUNDS=10; STORM_SESSIONS=200; SNAP_COUNT=10000
else
  : "${ROUNDS:=3}" "${DURATION:=15}" "${WARMUP:=5}" "${BULK_NODES:=1000000}"
  WATCHERS=1000; FANOUT_ROUNDS=50; STORM_SESSIONS=2000; SNAP_COUNT=100000
fi
for n in "$ROUNDS" "$BULK_NODES"; do
  case "$n" in ''|*[!0-9]*) echo "not a count: $n" >&2; exit 2 ;; esac
done
IFS=',' read -r -a WORKLOAD_LIST <<< "$WORKLOADS"
for w in "${WORKLOAD_LIST[@]}"; do
  case ",$ALL_WORKLOADS," in *",$w,"*) ;; *) echo "unknown workload: $w" >&2; exit 2 ;; esac
done

TICK_TIME=2000
SESSIONS=64
OUTSTANDING=8   # 64 x 8 = 512 in flight, under both servers' globalOutstandingLimit (1000)
JAVA=(java -Xmx1000m -Dzookeeper.jmx.log4j.disable=true)   # zkServer.sh's default heap
ENSEMBLE_SIZE=3
INIT_LIMIT=10
SYNC_LIMIT=5
JAVA_CP="/usr/share/java/zookeeper.jar:/usr/share/java/zookeeper-jute.jar:/usr/share/java/slf4j-api.jar:/usr/share/java/slf4j-simple.jar"
ZKCOMPAT_DLL="$ROOT/src/ZkCompat.Server/bin/Release/net10.0/zkcompat.dll"
BENCH_DLL="$ROOT/bench/ZkCompat.Bench/bin/Release/net10.0/zkbench.dll"

for jar in ${JAVA_CP//:/ }; do
  [ -f "$jar" ] || { echo "missing $jar (apt-get install libzookeeper-java libslf4j-java)" >&2; exit 1; }
done
command -v java >/dev/null || { echo "java not found (apt-get install default-jre-headless)" >&2; exit 1; }

if [ "$BUILD" = 1 ]; then
  echo "== building Release"
  dotnet build src/ZkCompat.Server/ZkCompat.Server.csproj -c Release -v quiet -nologo
  dotnet build bench/ZkCompat.Bench/ZkCompat.Bench.csproj -c Release -v quiet -nologo
fi
[ -f "$ZKCOMPAT_DLL" ] && [ -f "$BENCH_DLL" ] || { echo "build output missing" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/zkbench.XXXXXX")"
RESULTS="$WORK/results.txt"
: > "$RESULTS"

# ---- server processes ----

alive() { # pid: running and not a zombie (nothing here reaps orphans promptly)
  local state
  state="$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null)" || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

stop_server() { # run dir: SIGTERM, at most 10 s, then SIGKILL
  local pidfile="$1/pid" pid i
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  rm -f "$pidfile"
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do alive "$pid" || return 0; sleep 0.1; done
  echo "($1: pid $pid still running 10 s after SIGTERM; SIGKILL)" >&2
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do alive "$pid" || return 0; sleep 0.1; done
}

cleanup() {
  local d
  for d in "$WORK"/run-* "$WORK"/run-*/node*; do [ -d "$d" ] && stop_server "$d"; done
  if [ "$KEEP" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Sets PORT to the next free one; not in $(...), so the count goes on and no port is handed out twice.
NEXT_PORT=22000
pick_port() {
  local i
  for ((i = 0; i < 200; i++)); do
    NEXT_PORT=$((NEXT_PORT + 1))
    if port_free "$NEXT_PORT"; then PORT="$NEXT_PORT"; return 0; fi
  done
  echo "no free port" >&2; return 1
}

ruok() { # port: the server answers imok
  local reply
  reply="$( (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf ruok >&3 && timeout 2 cat <&3) 2>/dev/null)" || true
  [ "$reply" = imok ]
}

config_text() { # dir port
  cat <<EOF
tickTime=$TICK_TIME
dataDir=$1/data
clientPort=$2
clientPortAddress=127.0.0.1
maxClientCnxns=0
forceSync=yes
snapCount=$SNAP_COUNT
autopurge.purgeInterval=0
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr,mntr
EOF
}

srvr_mode() { # port: the Mode line of srvr (leader, follower, standalone), empty if not serving
  local reply
  reply="$( (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf srvr >&3 && timeout 2 cat <&3) 2>/dev/null)" || true
  awk '/^Mode: / {print $2}' <<< "$reply"
}

srvr_epoch() { # port: the epoch (zxid's high 32 bits) srvr reports, empty if not serving
  local reply zxid
  reply="$( (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf srvr >&3 && timeout 2 cat <&3) 2>/dev/null)" || true
  zxid="$(awk '/^Zxid: / {print $2}' <<< "$reply")"
  [ -n "$zxid" ] && echo $(( zxid >> 32 ))
}

# start.sh puts the server in the background and records its pid; zkbench bulk reruns it after a kill.
write_launcher() { # dir kind [java main class]
  local cmd
  if [ "$2" = java ]; then
    cmd="$(printf '%q ' "${JAVA[@]}" -cp "$JAVA_CP" "${3:-org.apache.zookeeper.server.ZooKeeperServerMain}" "$1/zoo.cfg")"
  else
    cmd="$(printf '%q ' dotnet "$ZKCOMPAT_DLL" "$1/zoo.cfg")"
  fi
  cat > "$1/start.sh" <<EOF
#!/usr/bin/env bash
cd $(printf '%q' "$1")
nohup $cmd >> server.log 2>&1 < /dev/null &
echo \$! > pid
EOF
}

start_server() { # dir kind port
  local i
  mkdir -p "$1/data"
  config_text "$1" "$3" > "$1/zoo.cfg"
  write_launcher "$1" "$2"
  bash "$1/start.sh"
  for ((i = 0; i < 240; i++)); do
    ruok "$3" && return 0
    alive "$(cat "$1/pid")" || break
    sleep 0.25
  done
  echo "$2 did not start on port $3; its log:" >&2
  tail -n 20 "$1/server.log" >&2
  return 1
}

# ---- a 3-node ensemble: node1..3 under the run dir, each its own ports, dataDir and process ----

ensemble_config_text() { # node-dir client-port server-lines
  config_text "$1" "$2"
  printf 'initLimit=%s\nsyncLimit=%s\n%s\n' "$INIT_LIMIT" "$SYNC_LIMIT" "$3"
}

ENSEMBLE_PORTS=()   # client port of node 1..N, in server id order
ENSEMBLE_LEADER=""  # server id that srvr reported as leader
ENSEMBLE_EPOCH=""

# Sets ENSEMBLE_LEADER/EPOCH when every node answers srvr as leader or follower with exactly one leader.
ensemble_quorum() {
  local n mode leaders=0 leader=""
  for ((n = 1; n <= ENSEMBLE_SIZE; n++)); do
    mode="$(srvr_mode "${ENSEMBLE_PORTS[$((n - 1))]}")"
    case "$mode" in
      leader) leaders=$((leaders + 1)); leader="$n" ;;
      follower) ;;
      *) return 1 ;;
    esac
  done
  [ "$leaders" = 1 ] || return 1
  ENSEMBLE_LEADER="$leader"
  ENSEMBLE_EPOCH="$(srvr_epoch "${ENSEMBLE_PORTS[$((leader - 1))]}")"
}

start_ensemble() { # dir kind
  local n i lines="" node quorum election
  ENSEMBLE_PORTS=()
  for ((n = 1; n <= ENSEMBLE_SIZE; n++)); do
    pick_port; ENSEMBLE_PORTS+=("$PORT")
    pick_port; quorum="$PORT"
    pick_port; election="$PORT"
    lines+="server.$n=127.0.0.1:$quorum:$election;127.0.0.1:${ENSEMBLE_PORTS[$((n - 1))]}"$'\n'
  done
  for ((n = 1; n <= ENSEMBLE_SIZE; n++)); do
    node="$1/node$n"
    mkdir -p "$node/data"
    echo "$n" > "$node/data/myid"
    ensemble_config_text "$node" "${ENSEMBLE_PORTS[$((n - 1))]}" "${lines%$'\n'}" > "$node/zoo.cfg"
    write_launcher "$node" "$2" org.apache.zookeeper.server.quorum.QuorumPeerMain
  done
  for ((n = 1; n <= ENSEMBLE_SIZE; n++)); do bash "$1/node$n/start.sh"; done
  # initLimit x tickTime is 20 s; three JVMs starting on two cores need some of that too.
  for ((i = 0; i < 480; i++)); do
    ensemble_quorum && return 0
    for ((n = 1; n <= ENSEMBLE_SIZE; n++)); do alive "$(cat "$1/node$n/pid")" || break 2; done
    sleep 0.25
  done
  echo "$2 ensemble formed no quorum (ports ${ENSEMBLE_PORTS[*]}); its logs:" >&2
  for ((n = 1; n <= ENSEMBLE_SIZE; n++)); do
    echo "-- node$n: srvr mode '$(srvr_mode "${ENSEMBLE_PORTS[$((n - 1))]}")'" >&2
    tail -n 10 "$1/node$n/server.log" >&2
  done
  return 1
}

stop_ensemble() { # dir: every node at once
  local n
  for ((n = 1; n <= ENSEMBLE_SIZE; n++)); do stop_server "$1/node$n" & done
  wait
}

# ---- one run ----

workload_args() { # workload dir: sets BENCH_ARGS
  case "$1" in
    get|set|mix|churn) BENCH_ARGS=(--warmup "$WARMUP" --duration "$DURATION" --size 100
      --sessions "$SESSIONS" --outstanding "$OUTSTANDING" --nodes 1000) ;;
    fanout) BENCH_ARGS=(--warmup "$WARMUP" --duration 120 --size 100 --watchers "$WATCHERS" --rounds "$FANOUT_ROUNDS") ;;
    storm) BENCH_ARGS=(--warmup "$WARMUP" --duration 120 --sessions 16 --rounds "$STORM_SESSIONS") ;;
    ens-set|ens-mix) BENCH_ARGS=(--warmup "$WARMUP" --duration "$DURATION" --size 100
      --sessions "$SESSIONS" --outstanding "$OUTSTANDING" --nodes 1000) ;;
    bulk) BENCH_ARGS=(--warmup 0 --duration 900 --size 100 --sessions 16 --outstanding 32 --nodes "$BULK_NODES"
      --pid-file "$2/pid" --snap-dir "$2/data/version-2" --restart-cmd "bash $2/start.sh") ;;
  esac
}

RUN=0
run_one() { # round workload kind
  local round="$1" workload="$2" kind="$3" dir port line limit servers logs ensemble=0 after
  RUN=$((RUN + 1))
  dir="$WORK/run-$RUN-$workload-$kind"
  mkdir -p "$dir"
  case "$workload" in ens-*) ensemble=1 ;; esac
  printf '== round %s  %-7s %-9s ' "$round" "$workload" "$kind"
  if [ "$ensemble" = 1 ]; then
    if ! start_ensemble "$dir" "$kind"; then
      echo "round=$round RESULT workload=$workload server=$kind failed=start" >> "$RESULTS"
      stop_ensemble "$dir"; return 0
    fi
    servers="$(printf '127.0.0.1:%s,' "${ENSEMBLE_PORTS[@]}")"; servers="${servers%,}"
    logs=("$dir"/node*/server.log)
  else
    pick_port; port="$PORT"
    if ! start_server "$dir" "$kind" "$port"; then
      echo "round=$round RESULT workload=$workload server=$kind failed=start" >> "$RESULTS"
      stop_server "$dir"; return 0
    fi
    servers="127.0.0.1:$port"
    logs=("$dir/server.log")
  fi
  limit=$(( ${DURATION%.*} + ${WARMUP%.*} + 300 ))
  [ "$workload" = bulk ] && limit=1500
  workload_args "$workload" "$dir"
  if line="$(timeout "$limit" dotnet "$BENCH_DLL" "$workload" --server "$servers" --label "$kind" \
        "${BENCH_ARGS[@]}" 2> "$dir/bench.err" | grep '^RESULT')"; then
    if [ "$ensemble" = 1 ]; then
      # Which server led, and whether it still did at the end (an election mid-run spoils the numbers).
      line+=" leader=$ENSEMBLE_LEADER"
      after="$ENSEMBLE_LEADER/$ENSEMBLE_EPOCH"
      ensemble_quorum || ENSEMBLE_LEADER=none
      [ "$after" = "$ENSEMBLE_LEADER/$ENSEMBLE_EPOCH" ] || line+=" leader_after=$ENSEMBLE_LEADER"
    fi
    echo "${line#RESULT }"
    echo "round=$round $line" >> "$RESULTS"
  else
    echo "FAILED (bench.err and server logs follow)"
    tail -n 15 "$dir/bench.err" "${logs[@]}" >&2 || true
    echo "round=$round RESULT workload=$workload server=$kind failed=run" >> "$RESULTS"
  fi
  if [ "$ensemble" = 1 ]; then
    stop_ensemble "$dir"
    rm -rf "$dir"/node*/data
  else
    stop_server "$dir"
    rm -rf "$dir/data"
  fi
}

START_TIME="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
START_LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
for ((round = 1; round <= ROUNDS; round++)); do
  for w in "${WORKLOAD_LIST[@]}"; do
    run_one "$round" "$w" java
    run_one "$round" "$w" zkcompat
  done
done

# ---- report ----

TABLE="$(awk -f "$ROOT/bench/report.awk" "$RESULTS")"
echo
echo "$TABLE"

{
  echo "# ZkCompat vs Java ZooKeeper 3.8: benchmark results"
  echo
  [ "$QUICK" = 1 ] && { echo "**Quick smoke run** (small counts, short runs): shows the suite works, not how fast anything is."; echo; }
  echo "Started $START_TIME, finished $(date -u +%Y-%m-%dT%H:%M:%SZ)."
  echo
  echo "Command: \`$COMMAND_LINE\`"
  echo
  echo "## Machine"
  echo
  echo "- CPU: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "- Memory: $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "- Disk (data dirs under $(dirname "$WORK")): \`$(df -hT "$WORK" | awk 'NR == 2 {print $1, $2, "size", $3, "avail", $5}')\`"
  echo "- Kernel: $(uname -sr)"
  echo "- Load average (1/5/15 min) at start: $START_LOAD; at end: $(cut -d' ' -f1-3 /proc/loadavg) (anything else running shares the 2 cores)"
  echo
  echo "## Versions"
  echo
  echo "- Java server: Debian libzookeeper-java $(dpkg-query -W -f '${Version}' libzookeeper-java 2>/dev/null || echo '?'), $(java -version 2>&1 | head -n 1)"
  echo "  \`${JAVA[*]} -cp $JAVA_CP org.apache.zookeeper.server.ZooKeeperServerMain zoo.cfg\` (default GC; slf4j-simple logs INFO to a file, as ZkCompat logs INFO);"
  echo "  ensemble peers: the same with \`org.apache.zookeeper.server.quorum.QuorumPeerMain zoo.cfg\`"
  echo "- ZkCompat: commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$( [ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null | head -n 1)" ] && echo ' (with uncommitted changes)'), .NET $(dotnet --version), \`dotnet zkcompat.dll zoo.cfg\` (Release; a peer when zoo.cfg has server.N lines)"
  echo "- Load generator: bench/ZkCompat.Bench (zkbench) on the same machine, closed loop over src/ZkCompat.Client"
  echo
  echo "## Settings"
  echo
  echo "Both servers get the same zoo.cfg (fresh dataDir per run; port differs):"
  echo
  echo '```'
  config_text '<run dir>' '<port>'
  echo '```'
  if [[ ",$WORKLOADS," == *,ens-* ]]; then
    echo
    echo "Ensemble workloads (ens-*): three peers of one kind (all Java or all ZkCompat), fresh each run, each with"
    echo "its own dataDir (and \`myid\`) and client, quorum and election ports; the same zoo.cfg plus:"
    echo
    echo '```'
    ensemble_config_text '<node dir>' '<client port N>' \
      "$(for ((n = 1; n <= ENSEMBLE_SIZE; n++)); do echo "server.$n=127.0.0.1:<quorum $n>:<election $n>;127.0.0.1:<client $n>"; done)" \
      | tail -n "$((ENSEMBLE_SIZE + 2))"
    echo '```'
  fi
  echo
  echo "Workloads: get/set/mix/churn: $SESSIONS sessions x $OUTSTANDING outstanding, 1,000 znodes of 100 bytes, warm-up ${WARMUP}s then ${DURATION}s measured;"
  echo "mix = 90% getData / 10% setData; churn = create + delete (each request counted); fanout: $WATCHERS watchers of one node, $FANOUT_ROUNDS setData rounds,"
  echo "latency = setData sent to notification received; storm: $STORM_SESSIONS sessions connected and closed, 16 at a time (latency = connect + close);"
  echo "bulk: $BULK_NODES znodes of 100 bytes (16 sessions x 32 outstanding), snapCount=$SNAP_COUNT, then VmRSS, snapshot write time, and SIGKILL + restart until getData answers;"
  echo "ens-set / ens-mix: set / mix against a 3-node ensemble, the $SESSIONS sessions spread round-robin over the three client ports"
  echo "(so about 2/3 of the writes are forwarded by a follower), znodes created through server.1 and synced on every session before the warm-up;"
  echo "measured once every node answers srvr as leader or follower with exactly one leader."
  echo "Rounds: $ROUNDS, alternating Java then ZkCompat for every workload. Latencies in ms."
  echo
  echo "$TABLE"
  echo
  echo "## Raw result lines"
  echo
  echo '```'
  cat "$RESULTS"
  echo '```'
} > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo
echo "written to $OUT"
