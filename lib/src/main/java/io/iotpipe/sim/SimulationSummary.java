package io.iotpipe.sim;

import java.util.Map;

/**
 * What a simulation sent, and what a correct ingest must therefore find: every valid event once,
 * every malformed record quarantined, every duplicate copy dropped.
 */
public record SimulationSummary(
    long recordsSent,
    long validEvents,
    long lateEvents,
    long duplicates,
    Map<MalformedKind, Long> malformed,
    long anomalies,
    String topic,
    String truthFile,
    String recordsFile) {

  public long malformedTotal() {
    return malformed.values().stream().mapToLong(Long::longValue).sum();
  }
}
