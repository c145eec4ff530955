#!/usr/bin/env python3
"""Run a command once and report its wall time and peak memory as one JSON line.

    rss.py [--exit-ok 0,1] -- CMD ARGS...

tree_max_rss_kb: ru_maxrss from wait4 on the child, i.e. the largest resident set of ANY single
    process in the tree (the child itself or a waited-for descendant such as `go`, `compile`,
    `link`) -- what /usr/bin/time -v calls "Maximum resident set size".
self_hwm_kb: VmHWM of the child process itself (stackify, not the `go` processes it starts),
    sampled from /proc/PID/status every 5 ms; VmHWM is a high-water mark, so only a peak reached
    in the last few milliseconds before exit could be missed.
"""
import json
import os
import subprocess
import sys
import time


def hwm(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def main():
    args = sys.argv[1:]
    ok = {0}
    if args and args[0] == "--exit-ok":
        ok = {int(x) for x in args[1].split(",")}
        args = args[2:]
    if args and args[0] == "--":
        args = args[1:]
    t0 = time.perf_counter()
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            break
        v = hwm(p.pid)
        if v is not None:
            peak = max(peak, v)
        time.sleep(0.005)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    print(json.dumps({
        "cmd": " ".join(args),
        "exit": code,
        "wall_s": round(wall, 4),
        "user_s": round(ru.ru_utime, 4),
        "sys_s": round(ru.ru_stime, 4),
        "tree_max_rss_kb": ru.ru_maxrss,
        "self_hwm_kb": peak,
    }))
    if code not in ok:
        sys.exit(f"rss.py: {' '.join(args)} exited {code}")


if __name__ == "__main__":
    main()
