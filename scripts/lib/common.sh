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
# IOTPIPE_SKIP_BUILD=1 skips this (tests that run scripts inside a Maven build set it).
ensure_built() {
  if [ "${IOTPIPE_SKIP_BUILD:-0}" = 1 ]; then
    return 0
  fi
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

# Starts the local Kafka and Cassandra unless they already run, and stops them when the calling
# script exits, only if it started them (call once, at the top level of a script).
use_local_services() {
  LOCAL_SERVICES_STARTED=no
  if ! IOTPIPE_HEAP=256m run_java io.iotpipe.local.LocalServices status >/dev/null 2>&1; then
    log "starting the local Kafka and Cassandra"
    IOTPIPE_HEAP=256m run_java io.iotpipe.local.LocalServices start
    LOCAL_SERVICES_STARTED=yes
  fi
  trap 'if [ "$LOCAL_SERVICES_STARTED" = yes ]; then log "stopping the local services this run started"; \
    IOTPIPE_HEAP=256m run_java io.iotpipe.local.LocalServices stop >/dev/null || true; fi' EXIT
}

# --- A stock Spark installation from Maven jars (no download of a Spark distribution) ---
SPARK_DIST_HOME="$IOTPIPE_HOME/work/spark-home"

# Assembles work/spark-home (RELEASE, jars/, conf/): Spark at the pinned version with its own
# dependencies only, as a Spark distribution has them; the application jar brings the rest.
ensure_spark_home() {
  local pom="$IOTPIPE_HOME/scripts/lib/spark-distribution/pom.xml"
  if [ -f "$SPARK_DIST_HOME/RELEASE" ] && [ "$SPARK_DIST_HOME/RELEASE" -nt "$pom" ] \
      && [ "$SPARK_DIST_HOME/RELEASE" -nt "$IOTPIPE_HOME/pom.xml" ]; then
    return 0
  fi
  log "assembling a Spark installation from Maven jars in $SPARK_DIST_HOME"
  mkdir -p "$SPARK_DIST_HOME"
  mvn -q -f "$pom" dependency:build-classpath -Dmdep.outputFile="$SPARK_DIST_HOME/classpath"
  rm -rf "$SPARK_DIST_HOME/jars" "$SPARK_DIST_HOME/conf"
  mkdir -p "$SPARK_DIST_HOME/jars" "$SPARK_DIST_HOME/conf"
  tr ':' '\n' < "$SPARK_DIST_HOME/classpath" | while read -r jar; do ln -s "$jar" "$SPARK_DIST_HOME/jars/"; done
  cp "$IOTPIPE_HOME/conf/log4j2.properties" "$SPARK_DIST_HOME/conf/log4j2.properties"
  # spark-submit's standalone client reports the driver's id and final state at INFO.
  printf '%s\n' 'logger.submitclient.name = org.apache.spark.deploy.ClientEndpoint' \
    'logger.submitclient.level = info' >> "$SPARK_DIST_HOME/conf/log4j2.properties"
  echo "Spark (jars of $(basename "$(ls "$SPARK_DIST_HOME"/jars/spark-core_*.jar)" .jar), assembled by iotpipe)" \
    > "$SPARK_DIST_HOME/RELEASE"
}

# The JVM flags Spark needs on Java 17, as one line (for spark.*.extraJavaOptions).
java17_flags() {
  grep -v '^#' "$IOTPIPE_HOME/conf/spark-java17.args" | tr '\n' ' ' | sed 's/ *$//'
}

# run_spark_class MAIN_CLASS [ARGS...]: runs a class of the assembled Spark installation.
run_spark_class() {
  SPARK_HOME="$SPARK_DIST_HOME" SPARK_SCALA_VERSION=2.12 java -Xmx"${SPARK_DAEMON_HEAP:-512m}" \
    @"$IOTPIPE_HOME/conf/spark-java17.args" -cp "$SPARK_DIST_HOME/conf:$SPARK_DIST_HOME/jars/*" "$@"
}
