# Sourced by ./sitelink and scripts/test: sets JAVA_HOME to a JDK 25 or newer, or explains what to install.
# JAVA_HOME wins when it is 25 or newer; otherwise the JDKs in /usr/lib/jvm are tried, newest first.
sitelink_java_major() {  # prints the feature version of the JDK at $1, or nothing
  local release="$1/release" v
  [[ -x $1/bin/java && -x $1/bin/javac && -r $release ]] || return 0
  v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")
  [[ -n $v ]] && echo "$v"
}
sitelink_find_jdk() {
  local d v best="" bestv=0
  if [[ -n ${JAVA_HOME:-} ]]; then
    v=$(sitelink_java_major "$JAVA_HOME")
    if [[ -n $v && $v -ge 25 ]]; then return 0; fi
  fi
  for d in /usr/lib/jvm/*; do
    [[ -L $d ]] && continue
    v=$(sitelink_java_major "$d")
    if [[ -n $v && $v -ge 25 && $v -gt $bestv ]]; then best=$d; bestv=$v; fi
  done
  if [[ -z $best ]]; then
    echo "sitelink: no JDK 25 or newer found (JAVA_HOME=${JAVA_HOME:-unset}, nothing suitable in /usr/lib/jvm)." >&2
    echo "sitelink: install a JDK 25 (for example Temurin 25: package temurin-25-jdk) or set JAVA_HOME to one." >&2
    return 1
  fi
  export JAVA_HOME=$best
}
