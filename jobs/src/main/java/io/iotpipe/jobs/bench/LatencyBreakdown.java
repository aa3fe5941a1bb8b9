package io.iotpipe.jobs.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where each probe's latency went, from the job's own record of its micro-batches
 * ({@link RunMetrics}: Kafka end offsets and watermark per batch, and when each sink's plan had run
 * and its writes ended), in five consecutive parts that add up to the latency:
 *
 * <ol>
 *   <li>{@code trigger}: sent until the start of the micro-batch that read it (the trigger
 *       interval, or the batch before still running);
 *   <li>{@code watermark}: until the start of the micro-batch whose watermark had passed it, for
 *       jobs that apply events in event-time order (the allowed lateness, and the batches it
 *       takes the fleet's event time to move past it); 0 for {@code aggregates}, which serves a
 *       window as soon as an event changes it;
 *   <li>{@code batch}: until that micro-batch's plan had run (offsets, planning, reading,
 *       parsing, deduplicating, the stateful operators);
 *   <li>{@code sink}: until the probe's row was seen in Cassandra, or the sink ended;
 *   <li>{@code after}: from the end of the sink to the read that saw it (the commit, and the
 *       probe's poll period), when the row appeared only then.
 * </ol>
 */
final class LatencyBreakdown {
  private LatencyBreakdown() {}

  static final List<String> PARTS = List.of("trigger", "watermark", "batch", "sink", "after");

  /**
   * The mean of each part over the probes it can place (whose batch and sink records are there),
   * in ms, and each part's share of their sum.
   */
  static Map<String, Object> of(List<LatencyProbe.Probe> probes, RunMetrics m, boolean waitsForWatermark) {
    double[] sums = new double[PARTS.size()];
    int placed = 0;
    for (LatencyProbe.Probe p : probes) {
      Optional<long[]> parts = parts(p, m, waitsForWatermark);
      if (parts.isPresent()) {
        placed++;
        for (int i = 0; i < sums.length; i++) {
          sums[i] += parts.get()[i];
        }
      }
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("probes_placed", placed);
    Map<String, Object> mean = new LinkedHashMap<>();
    Map<String, Object> share = new LinkedHashMap<>();
    double total = 0;
    for (double s : sums) {
      total += s;
    }
    for (int i = 0; i < sums.length; i++) {
      mean.put(PARTS.get(i), placed == 0 ? 0 : Math.round(sums[i] / placed));
      share.put(PARTS.get(i), total == 0 ? 0 : Math.round(sums[i] / total * 1000) / 1000.0);
    }
    r.put("mean_ms", mean);
    r.put("share", share);
    return r;
  }

  /** The five parts of one probe's latency, or empty when the records do not place it. */
  static Optional<long[]> parts(LatencyProbe.Probe p, RunMetrics m, boolean waitsForWatermark) {
    if (p.offset < 0 || p.visibleMs < 0) {
      return Optional.empty();
    }
    // Spark's end offsets are exclusive: the first batch that ends past the probe read it.
    Optional<RunMetrics.Batch> read = m.batches().stream()
        .filter(b -> b.endOffsets().getOrDefault(p.partition, -1L) > p.offset).findFirst();
    if (read.isEmpty()) {
      return Optional.empty();
    }
    Optional<RunMetrics.Batch> applied = waitsForWatermark
        ? m.batches().stream().filter(b -> b.id() >= read.get().id() && b.watermarkMs() >= p.sentMs).findFirst()
        : read;
    if (applied.isEmpty()) {
      return Optional.empty();
    }
    long batchId = applied.get().id();
    Optional<RunMetrics.Sink> sink = m.sinks().stream().filter(s -> s.batchId() == batchId && s.computedMs() >= 0)
        .reduce((first, second) -> second);
    if (sink.isEmpty()) {
      return Optional.empty();
    }
    long readStart = read.get().startMs();
    long appliedStart = Math.max(readStart, applied.get().startMs());
    long computed = Math.max(appliedStart, sink.get().computedMs());
    long sinkEnd = Math.max(computed, Math.min(p.visibleMs, sink.get().endMs()));
    long visible = Math.max(sinkEnd, p.visibleMs);
    return Optional.of(new long[] {Math.max(0, readStart - p.sentMs), appliedStart - readStart,
        computed - appliedStart, sinkEnd - computed, visible - sinkEnd});
  }
}
