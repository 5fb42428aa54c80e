# Sourced by both launchers: ./sitelink (a checkout) and /usr/bin/sitelink (the Debian package installs this file as
# /usr/lib/sitelink/jvm-options.sh), so the installed gateway runs with the same JVM options as the one in a checkout.
# A gateway's heap holds little (keys, peers, the routing table); what it allocates is short-lived per-packet
# garbage inside the JDK's cipher. A small heap with the serial collector keeps that garbage in cache and RSS
# well under 256 MiB (an unbounded G1 heap grew to 300-450 MiB and cost ~40% more CPU per GB in
# scripts/perf-datapath). The etcd client of 'sitelink agent' (jetcd: gRPC, Netty, protobuf) uses sun.misc.Unsafe,
# which Java 25 allows with a warning on stderr unless told it is allowed. The launchers put SITELINK_JAVA_OPTS after
# these, so it can override any of them.
# shellcheck disable=SC2034 # used by the launchers that source this file
sitelink_jvm_opts=(--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -XX:+UseSerialGC -Xms16m -Xmx128m -XX:MaxDirectMemorySize=32m -Xss512k)
