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
record RunMetrics(List<Batch> batches, List<Sample> memory, long peakHeap, long peakRss) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One micro-batch: input rows, start, duration, state size and memory at its end. */
  record Batch(long id, long rows, long startMs, long durationMs, long stateRows, long stateBytes, long heapUsed,
      long rss, long endOffsetSum) {
    long endMs() {
      return startMs + durationMs;
    }
  }

  /** A once-a-second memory sample. */
  record Sample(long tMs, long heapUsed, long rss) {}

  static RunMetrics read(Path file) {
    List<Batch> batches = new ArrayList<>();
    List<Sample> memory = new ArrayList<>();
    long peakHeap = -1;
    long peakRss = -1;
    if (!Files.exists(file)) {
      return new RunMetrics(batches, memory, peakHeap, peakRss);
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
              n.get("start_ms").asLong(), n.get("duration_ms").asLong(), n.get("state_rows").asLong(),
              n.get("state_bytes").asLong(), n.get("heap_used").asLong(), n.get("rss").asLong(),
              offsetSum(n.path("end_offset").asText(null))));
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
    return new RunMetrics(batches, memory, peakHeap, peakRss);
  }

  /** The sum over partitions of a Kafka source's end offsets (Spark's JSON), or -1. */
  static long offsetSum(String json) {
    if (json == null || json.isEmpty()) {
      return -1;
    }
    try {
      long sum = 0;
      for (Iterator<Map.Entry<String, JsonNode>> topics = JSON.readTree(json).fields(); topics.hasNext(); ) {
        for (Iterator<JsonNode> it = topics.next().getValue().elements(); it.hasNext(); ) {
          sum += it.next().asLong();
        }
      }
      return sum;
    } catch (IOException e) {
      return -1;
    }
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
