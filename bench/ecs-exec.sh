#!/usr/bin/env bash
# Costs of tracing processes that enter the container (docs/ecs-exec.md).
# Runs the workload in a new PID namespace under build/Release/instrument and
#   1. times syscall-heavy and fork-heavy commands inside an entered shell,
#      untraced (DRAIOS_ENTER_SCAN_MS=0) and traced (50);
#   2. times a fork/exec loop of the workload itself with the scan off and on;
#   3. reads the supervisor's CPU time over 5 s of an idle workload, scan off,
#      every 50 ms and every 1 ms (the cost of one scan).
# Usage (root): bash bench/ecs-exec.sh
set -u
cd "$(dirname "$0")/.."
INSTR=build/Release/instrument
ns() { SYSDIG_LOG_PORT=1 SYSDIG_LOGGING=error DRAIOS_ENTER_SCAN_MS=$1 exec unshare --pid --fork --kill-child --mount-proc "$INSTR" "${@:2}" 2>/dev/null; }
sup_of() { local u=$1; until [ -n "$(cat /proc/$u/task/$u/children 2>/dev/null)" ]; do sleep 0.05; done; awk '{print $1}' /proc/$u/task/$u/children; }

entered() {
  local fifo; fifo=$(mktemp -u); mkfifo "$fifo"
  ns "$1" sh -c "read x < $fifo" & local u=$!
  local s; s=$(sup_of $u); sleep 0.5
  nsenter -t "$s" -p -m sh -c 'sleep 0.3; t=$(grep TracerPid /proc/$$/status | tr -d "\t")
    a=$(date +%s%N); dd if=/dev/zero of=/dev/null bs=1 count=100000 2>/dev/null; b=$(date +%s%N)
    for i in $(seq 300); do /bin/true; done; c=$(date +%s%N)
    echo "  $t: dd 200k syscalls $(( (b-a)/1000000 )) ms, 300 fork+exec $(( (c-b)/1000000 )) ms"'
  echo x > "$fifo"; wait $u; rm -f "$fifo"
}
workload() {
  (ns "$1" sh -c 'a=$(date +%s%N); for i in $(seq 500); do /bin/true; cat /etc/hostname >/dev/null; done; b=$(date +%s%N); echo "  scan=$0: workload 500 x (true + cat) $(( (b-a)/1000000 )) ms"' "$1")
}
idle() {
  ns "$1" sleep 7 & local u=$!
  local s; s=$(sup_of $u); sleep 1
  local a b; a=$(awk '{print $14+$15}' /proc/$s/stat); sleep 5; b=$(awk '{print $14+$15}' /proc/$s/stat)
  echo "  scan=$1 ms: supervisor CPU over 5 s of an idle workload: $(( (b-a)*1000/$(getconf CLK_TCK) )) ms"
  wait $u
}
echo "inside an entered shell (untraced, then traced):"; entered 0; entered 50
echo "the workload's own cost:"; for m in 0 50 0 50; do workload $m; done
echo "the scan:"; for m in 0 50 1; do idle $m; done
