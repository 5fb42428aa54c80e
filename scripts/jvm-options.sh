# Sourced by both launchers: ./sitelink (a checkout) and /usr/bin/sitelink (the Debian package installs this file as
# /usr/lib/sitelink/jvm-options.sh), so the installed gateway runs with the same JVM options as the one in a checkout.
# A gateway's heap holds little (keys, peers, the routing table); what it allocates is short-lived per-packet
# garbage inside the JDK's cipher. A small heap with the serial collector keeps that garbage in cache and RSS
# well under 256 MiB (an unbounded G1 heap grew to 300-450 MiB and cost ~40% more CPU per GB in
# scripts/perf-datapath). The launchers put SITELINK_JAVA_OPTS after these, so it can override any of them.
# shellcheck disable=SC2034 # used by the launchers that source this file
sitelink_jvm_opts=(--enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Xms16m -Xmx128m -XX:MaxDirectMemorySize=32m -Xss512k)

# The ahead-of-time cache (JDK 25; scripts/aot-cache makes it with a training run when the jar is built): classes
# loaded and linked and methods profiled before the JVM starts. Used only when it is newer than the jar (a cache of an
# older jar would not match it; the launchers rebuild neither). A cache the JVM cannot use (truncated, another JVM,
# a jar changed since) it ignores and starts as without one; its messages about that are turned off so that the
# start stays quiet (-Xlog:aot in SITELINK_JAVA_OPTS shows them again). SITELINK_AOT=off starts without the cache.
# Sets sitelink_aot_opts for JAR and CACHE.
sitelink_aot_options() {
  sitelink_aot_opts=()
  [[ ${SITELINK_AOT:-on} != off && -s $2 && ! $1 -nt $2 ]] || return 0
  sitelink_aot_opts=(-XX:AOTCache="$2" '-Xlog:aot*=off' '-Xlog:cds*=off')
}
