# Shared by the scripts in scripts/: finds the repository, builds it when sources changed, and
# runs Java classes of the project with the JVM flags Spark needs on Java 17.
# shellcheck shell=bash

IOTPIPE_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export IOTPIPE_HOME
cd "$IOTPIPE_HOME"

# Spark would otherwise warn that the host name resolves to a loopback address.
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"

RUNTIME_CLASSPATH_FILE="$IOTPIPE_HOME/jobs/target/runtime.classpath"
BUILD_STAMP="$IOTPIPE_HOME/jobs/target/.built"

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Builds lib and jobs (no tests) when a source or pom is newer than the last build.
ensure_built() {
  if [ -f "$BUILD_STAMP" ] && [ -f "$RUNTIME_CLASSPATH_FILE" ] && [ -z "$(find pom.xml lib jobs \
      \( -path '*/target' -prune \) -o -type f -newer "$BUILD_STAMP" -print -quit)" ]; then
    return 0
  fi
  log "building lib and jobs (mvn package, tests skipped; the first build downloads ~800 MB of dependencies)"
  mvn -q -DskipTests package dependency:build-classpath \
    -Dmdep.outputFile=target/runtime.classpath \
    -DexcludeGroupIds=io.iotpipe,org.junit.jupiter,org.junit.platform,org.opentest4j,org.apiguardian
  touch "$BUILD_STAMP"
}

# run_java MAIN_CLASS [ARGS...]: runs a class of the project on its full runtime classpath.
run_java() {
  local heap="${IOTPIPE_HEAP:-3g}"
  java -Xmx"$heap" @"$IOTPIPE_HOME/conf/spark-java17.args" \
    -Dlog4j2.configurationFile="$IOTPIPE_HOME/conf/log4j2.properties" \
    -Diotpipe.home="$IOTPIPE_HOME" \
    -cp "$IOTPIPE_HOME/jobs/target/classes:$IOTPIPE_HOME/lib/target/classes:$(cat "$RUNTIME_CLASSPATH_FILE")" \
    "$@"
}
