# Turns compare.sh's "round=N RESULT key=value ..." lines into Markdown tables (plain awk: mawk has no asort).
function median(list,    n, v, i, j, t) {
  n = split(list, v, " ")
  if (n == 0) return ""
  for (i = 2; i <= n; i++) { t = v[i] + 0; for (j = i - 1; j >= 1 && v[j] + 0 > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
  return n % 2 ? v[(n + 1) / 2] + 0 : (v[n / 2] + v[n / 2 + 1]) / 2
}
function num(x) { return x == "" ? "-" : x ~ /^</ ? x : (x >= 100 ? sprintf("%.0f", x) : sprintf("%.3g", x)) }
function lat(k) { return (k in F) && F[k, "failed"] == "" ? F[k, "p50_ms"] " / " F[k, "p99_ms"] " / " F[k, "p999_ms"] : "-" }
function ops(k) { return (k in F) ? (F[k, "failed"] != "" ? "FAILED (" F[k, "failed"] ")" : num(F[k, "ops_s"])) : "-" }
function spaced(x) { gsub("/", " / ", x); return x }
function add(list, x) { return list == "" ? x : list " " x }

{
  round = substr($1, 7)
  delete kv
  for (i = 3; i <= NF; i++) { split($i, p, "="); kv[p[1]] = p[2] }
  w = kv["workload"]; s = kv["server"]; k = w SUBSEP round SUBSEP s
  F[k] = 1
  for (name in kv) F[k, name] = kv[name]
  if (!(w in seen)) { seen[w] = 1; order[++nw] = w }
  if (round + 0 > rounds) rounds = round + 0
}

END {
  print "### Per round (ops/s; latency p50 / p99 / p99.9 in ms)"
  print ""
  print "| workload | round | Java ops/s | Java latency | ZkCompat ops/s | ZkCompat latency | ZkCompat/Java ops/s |"
  print "|---|---|---:|---|---:|---|---:|"
  for (i = 1; i <= nw; i++) {
    w = order[i]
    for (r = 1; r <= rounds; r++) {
      j = w SUBSEP r SUBSEP "java"; z = w SUBSEP r SUBSEP "zkcompat"
      if (!(j in F) && !(z in F)) continue
      ratio = "-"
      if ((j in F) && (z in F) && F[j, "failed"] == "" && F[z, "failed"] == "" && F[j, "ops_s"] > 0) {
        ratio = sprintf("%.2f", F[z, "ops_s"] / F[j, "ops_s"])
        R[w] = add(R[w], ratio)
        for (m = 1; m <= 4; m++) {
          f = m == 1 ? "ops_s" : m == 2 ? "p50_ms" : m == 3 ? "p99_ms" : "p999_ms"
          MJ[w, f] = add(MJ[w, f], F[j, f]); MZ[w, f] = add(MZ[w, f], F[z, f])
        }
      }
      errs = (F[j, "errors"] + F[z, "errors"] > 0) ? " (errors: Java " (F[j, "errors"] + 0) ", ZkCompat " (F[z, "errors"] + 0) ")" : ""
      printf "| %s | %d | %s | %s | %s | %s | %s%s |\n", w, r, ops(j), lat(j), ops(z), lat(z), ratio, errs
    }
  }

  print ""
  print "### Medians over rounds"
  print ""
  print "| workload | Java ops/s | ZkCompat ops/s | ZkCompat/Java ops/s (median of rounds) | Java p50 / p99 / p99.9 | ZkCompat p50 / p99 / p99.9 |"
  print "|---|---:|---:|---:|---|---|"
  for (i = 1; i <= nw; i++) {
    w = order[i]
    if (R[w] == "") { printf "| %s | - | - | - | - | - |\n", w; continue }
    printf "| %s | %s | %s | **%.2f** | %s / %s / %s | %s / %s / %s |\n", w,
      num(median(MJ[w, "ops_s"])), num(median(MZ[w, "ops_s"])), median(R[w]),
      num(median(MJ[w, "p50_ms"])), num(median(MJ[w, "p99_ms"])), num(median(MJ[w, "p999_ms"])),
      num(median(MZ[w, "p50_ms"])), num(median(MZ[w, "p99_ms"])), num(median(MZ[w, "p999_ms"]))
  }

  ens = 0
  for (i = 1; i <= nw; i++) if (order[i] ~ /^ens-/) ens = 1
  if (ens) {
    print ""
    print "### ensembles: leader and latency by server (sessions spread round-robin over server.1 / 2 / 3)"
    print ""
    print "| workload | round | server | leader (server.N) | ops by server | p50 ms by server | p99 ms by server |"
    print "|---|---|---|---|---|---|---|"
    for (i = 1; i <= nw; i++) {
      w = order[i]
      if (w !~ /^ens-/) continue
      for (r = 1; r <= rounds; r++) {
        for (m = 1; m <= 2; m++) {
          s = m == 1 ? "java" : "zkcompat"; k = w SUBSEP r SUBSEP s
          if (!(k in F)) continue
          if (F[k, "failed"] != "") { printf "| %s | %d | %s | FAILED (%s) | | | |\n", w, r, s, F[k, "failed"]; continue }
          led = F[k, "leader"] == "" ? "-" : F[k, "leader"]
          if (F[k, "leader_after"] != "") led = led " (after the run: " F[k, "leader_after"] ")"
          printf "| %s | %d | %s | %s | %s | %s | %s |\n", w, r, s, led, spaced(F[k, "ops_by_server"]), spaced(F[k, "p50_by_server"]), spaced(F[k, "p99_by_server"])
        }
      }
    }
  }

  if ("bulk" in seen) {
    print ""
    print "### bulk: memory, snapshot, recovery"
    print ""
    print "| round | server | znodes/s loading | VmRSS after load (MiB) | largest snapshot: write ms (MiB) | snapshots | restart until getData (ms) | VmRSS after restart (MiB) | znodes recovered |"
    print "|---|---|---:|---:|---:|---:|---:|---:|---:|"
    for (r = 1; r <= rounds; r++) {
      for (m = 1; m <= 2; m++) {
        s = m == 1 ? "java" : "zkcompat"; k = "bulk" SUBSEP r SUBSEP s
        if (!(k in F)) continue
        if (F[k, "failed"] != "") { printf "| %d | %s | FAILED (%s) | | | | | | |\n", r, s, F[k, "failed"]; continue }
        snap = F[k, "snap_ms"] == "" || F[k, "snap_ms"] == "NA" ? "none written" : num(F[k, "snap_ms"]) " (" num(F[k, "snap_mb"]) ")"
        printf "| %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", r, s, num(F[k, "ops_s"]), num(F[k, "rss_mb"]), snap,
          F[k, "snaps"] == "" ? "-" : F[k, "snaps"], num(F[k, "recover_ms"]), num(F[k, "rss_restart_mb"]),
          F[k, "recovered"] == "" ? "-" : F[k, "recovered"]
      }
    }
  }
}
