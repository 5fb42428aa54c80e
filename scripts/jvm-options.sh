# Sourced by both launchers: ./sitelink (a checkout) and /usr/bin/sitelink (the Debian package installs this file as
# /usr/lib/sitelink/jvm-options.sh), so the installed gateway runs with the same JVM options as the one in a checkout.
# A gateway's heap holds little (keys, peers, the routing table); what it allocates is short-lived per-packet
# garbage inside the JDK's cipher. A small heap with the serial collector keeps that garbage in cache and RSS
# well under 256 MiB (an unbounded G1 heap grew to 300-450 MiB and cost ~40% more CPU per GB in
# scripts/perf-datapath). The etcd client of 'sitelink agent' (jetcd: gRPC, Netty, protobuf) uses sun.misc.Unsafe,
# which Java 25 allows with a warning on stderr unless told it is allowed. The launchers put SITELINK_JAVA_OPTS after
# these, so it can override any of them. The first socket channel (`sitelink status` asking a gateway over its UAPI
# socket) looks for a SelectorProvider service in every jar of the class path (61, opened one by one) unless this
# property names the provider: Linux's own, the one the JDK would pick. The data path seals and opens with the JDK's
# own ChaCha20 and Poly1305 put together (sitelink.crypto.ComposedChaChaPoly: the JCA's AEAD makes 2 KiB of keystream
# and a new Poly1305 per packet for nothing); the JDK does not export its Poly1305, hence --add-opens. Without it the
# data path keeps the JCA's AEAD. The AOT caches are made with these same options (the JVM refuses a cache made
# without an --add-opens it is given).
# shellcheck disable=SC2034 # used by the launchers that source this file
sitelink_jvm_opts=(--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow
  --add-opens=java.base/com.sun.crypto.provider=ALL-UNNAMED
  -Djava.nio.channels.spi.SelectorProvider=sun.nio.ch.EPollSelectorProvider
  -XX:+UseSerialGC -Xms16m -Xmx128m -XX:MaxDirectMemorySize=32m -Xss512k)

# Options for the command about to run (the launchers pass its first argument). Gateways (up, device, demo, agent) run for
# long and want C2's code for the data path; every other command is a short-lived JVM that ends before C2 pays off, so
# it stops at C1 (-XX:TieredStopAtLevel=1: `sitelink status` took 0.65 s of CPU instead of 0.97 s, three runs each).
# And the ahead-of-time caches (JDK 25; scripts/aot-cache makes them with training runs when the jar is built):
# sitelink.aot for the gateways, sitelink-cli.aot for the other commands. Classes loaded and linked and methods
# profiled before the JVM starts. A cache is used only when it is not older than the jar (a cache of an older jar
# would not match it). A cache the JVM cannot use (truncated, another JVM, a jar changed since) it ignores and starts
# as without one; its messages about that are turned off so that the start stays quiet (-Xlog:aot in
# SITELINK_JAVA_OPTS shows them again). SITELINK_AOT=off starts without a cache.
# Gateways also get a young generation of 20 MiB instead of the 5 MiB the 16-MiB start heap gives (the serial collector
# sizes it once and never again unless a full collection runs, which a gateway never needs): the JDK's
# ChaCha20-Poly1305 leaves some 1.7 KB of garbage per packet (a Poly1305 and a 1-KiB key block per Cipher.init), 0.8
# GB/s at 4 Gbit/s, which emptied 5 MiB 200 times a second at 0.25-0.45 ms each; 16 MiB of eden cut the gateways' CPU
# at a fixed 2.5 Gbit/s by about 10 % (docs/benchmarks.md). The old generation keeps 16 MiB to start with, room for
# the AOT cache's archived objects (about 9 MiB): -Xmn20m in the 16-MiB heap left it none, and the JVM refused the
# cache and did not start ("Unable to use AOT cache"). And the
# JVM hands the C library's freed memory back to the kernel every 5 s (-XX:TrimNativeHeapInterval): the C2 compiler's
# arenas of the start's compilations otherwise stay resident (11 MiB of RSS after a TCP test).
# Gateways are also told where the JIT compiler directives beside this file are (jit-directives.json): they add
# them before their warm-up, so that the handshake's arithmetic and the warm-up's drivers stay out of C2, whose time
# at start then goes to the data path (the file says more; docs/benchmarks.md "The compilers done before ready").
sitelink_options_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Sets sitelink_cmd_opts for JAR, the caches' DIR and the command line's first argument.
sitelink_command_options() {
  local cache=$2/sitelink-cli.aot
  sitelink_cmd_opts=(-XX:TieredStopAtLevel=1)
  case ${3:-} in
    up|device|demo|agent)
      cache=$2/sitelink.aot sitelink_cmd_opts=(-Xms36m -Xmn20m -XX:TrimNativeHeapInterval=5000)
      [[ ! -s $sitelink_options_dir/jit-directives.json ]] ||
        sitelink_cmd_opts+=(-Dsitelink.jitDirectives="$sitelink_options_dir/jit-directives.json") ;;
  esac
  [[ ${SITELINK_AOT:-on} != off && -s $cache && ! $1 -nt $cache ]] || return 0
  sitelink_cmd_opts+=(-XX:AOTCache="$cache" '-Xlog:aot*=off' '-Xlog:cds*=off')
}
