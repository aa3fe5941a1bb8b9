package io.iotpipe.jobs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** What {@link BenchQueryListener} wrote about one measured JVM, and the figures derived from it. */
record RunMetrics(List<Batch> batches, List<Sink> sinks, List<Sample> memory, long peakHeap, long peakRss) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One micro-batch: input rows, start, duration, the event-time watermark it ran with (-1 when
   * the query has none), state size and memory at its end, and the Kafka end offsets it read up
   * to (exclusive), per partition.
   */
  record Batch(long id, long rows, long startMs, long durationMs, long watermarkMs, long stateRows, long stateBytes,
      long heapUsed, long rss, Map<Integer, Long> endOffsets) {
    long endMs() {
      return startMs + durationMs;
    }

    long endOffsetSum() {
      return endOffsets.isEmpty() ? -1 : endOffsets.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  /** One micro-batch as its sink saw it ({@link io.iotpipe.spark.MicroBatch}): start, plan done, end. */
  record Sink(long batchId, long startMs, long computedMs, long endMs) {}

  /** A once-a-second memory sample. */
  record Sample(long tMs, long heapUsed, long rss) {}

  static RunMetrics read(Path file) {
    List<Batch> batches = new ArrayList<>();
    List<Sink> sinks = new ArrayList<>();
    List<Sample> memory = new ArrayList<>();
    long peakHeap = -1;
    long peakRss = -1;
    if (!Files.exists(file)) {
      return new RunMetrics(batches, sinks, memory, peakHeap, peakRss);
    }
    try {
      for (String line : Files.readAllLines(file)) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode n;
        try {
          n = JSON.readTree(line);
        } catch (IOException e) {
          continue; // a line the JVM was writing when it was read
        }
        switch (n.path("type").asText()) {
          case "batch" -> batches.add(new Batch(n.get("batch").asLong(), n.get("rows").asLong(),
              n.get("start_ms").asLong(), n.get("duration_ms").asLong(), n.path("watermark_ms").asLong(-1),
              n.get("state_rows").asLong(), n.get("state_bytes").asLong(), n.get("heap_used").asLong(),
              n.get("rss").asLong(), endOffsets(n.path("end_offset").asText(null))));
          case "sink" -> sinks.add(new Sink(n.get("batch").asLong(), n.get("start_ms").asLong(),
              n.get("computed_ms").asLong(), n.get("end_ms").asLong()));
          case "memory" -> memory.add(new Sample(n.get("t_ms").asLong(), n.get("heap_used").asLong(),
              n.get("rss").asLong()));
          case "end" -> {
            peakHeap = n.get("peak_heap").asLong();
            peakRss = n.get("peak_rss").asLong();
          }
          default -> { }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new RunMetrics(batches, sinks, memory, peakHeap, peakRss);
  }

  /** A Kafka source's end offsets (Spark's JSON) per partition of its topic; empty when there are none. */
  static Map<Integer, Long> endOffsets(String json) {
    Map<Integer, Long> offsets = new java.util.TreeMap<>();
    if (json == null || json.isEmpty()) {
      return offsets;
    }
    try {
      for (Iterator<Map.Entry<String, JsonNode>> topics = JSON.readTree(json).fields(); topics.hasNext(); ) {
        for (Iterator<Map.Entry<String, JsonNode>> it = topics.next().getValue().fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> p = it.next();
          offsets.merge(Integer.parseInt(p.getKey()), p.getValue().asLong(), Long::sum);
        }
      }
    } catch (IOException | NumberFormatException e) {
      offsets.clear();
    }
    return offsets;
  }

  long totalRows() {
    return batches.stream().mapToLong(Batch::rows).sum();
  }

  /** The batches that read records. */
  List<Batch> withRows() {
    return batches.stream().filter(b -> b.rows() > 0).toList();
  }

  /**
   * Events per second from the start of the first batch with records to the end of the last:
   * everything, the first batch's warm-up (code generation, table creation) included.
   */
  double allInEps() {
    List<Batch> b = withRows();
    if (b.isEmpty()) {
      return 0;
    }
    long ms = b.get(b.size() - 1).endMs() - b.get(0).startMs();
    return b.stream().mapToLong(Batch::rows).sum() * 1000.0 / Math.max(1, ms);
  }

  /**
   * Sustained events per second: as {@link #allInEps()} but from the second batch with records
   * on, which leaves out the one-time warm-up of the first (when there are at least three).
   */
  double sustainedEps() {
    List<Batch> b = withRows();
    if (b.size() < 3) {
      return allInEps();
    }
    List<Batch> steady = b.subList(1, b.size());
    long ms = steady.get(steady.size() - 1).endMs() - steady.get(0).startMs();
    return steady.stream().mapToLong(Batch::rows).sum() * 1000.0 / Math.max(1, ms);
  }

  /** A percentile (0..100) of the durations of the batches that read records; nearest rank. */
  long batchDurationPercentile(double p) {
    return percentile(withRows().stream().map(Batch::durationMs).toList(), p);
  }

  static long percentile(List<Long> values, double p) {
    if (values.isEmpty()) {
      return -1;
    }
    List<Long> sorted = values.stream().sorted().toList();
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
  }

  /** The end offsets (summed over partitions) of the last batch, or -1 before the first. */
  long committedOffsetSum() {
    return batches.isEmpty() ? -1 : batches.get(batches.size() - 1).endOffsetSum();
  }
}
