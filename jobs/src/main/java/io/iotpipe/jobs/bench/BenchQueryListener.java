package io.iotpipe.jobs.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotpipe.spark.MicroBatch;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.sql.streaming.SourceProgress;
import org.apache.spark.sql.streaming.StateOperatorProgress;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;

/**
 * Records what the benchmark measures inside a job's JVM, as JSON lines in the file named by the
 * system property {@value #FILE_PROPERTY}: one {@code batch} line per micro-batch (input rows,
 * duration, watermark, state rows and bytes, heap and RSS at its end), a {@code sink} line per
 * micro-batch a sink handled ({@link MicroBatch}: when it started, when its plan had run, when it
 * ended), a {@code memory} line every second,
 * and an {@code end} line with the peak heap and peak RSS when the query or the JVM ends.
 *
 * <p>Spark creates it from {@code spark.sql.streaming.streamingQueryListeners}, so the jobs run
 * unchanged: the benchmark only adds that setting to their command line.
 */
public final class BenchQueryListener extends StreamingQueryListener {
  public static final String FILE_PROPERTY = "iotpipe.bench.metrics";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

  // One file, sampler and peak per JVM: Spark creates a listener for every session (Delta and the
  // connector make sessions of their own), and each must append to the same record.
  private static Writer out;
  private static final AtomicLong PEAK_HEAP = new AtomicLong();
  private static volatile boolean ended;

  public BenchQueryListener() {
    open();
  }

  private static synchronized void open() {
    if (out != null) {
      return;
    }
    String file = System.getProperty(FILE_PROPERTY);
    if (file == null) {
      throw new IllegalStateException("system property " + FILE_PROPERTY + " is not set");
    }
    try {
      out = Files.newBufferedWriter(Path.of(file), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    MicroBatch.observe((queryId, batchId, startMs, computedMs, endMs) -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("type", "sink");
      m.put("batch", batchId);
      m.put("start_ms", startMs);
      m.put("computed_ms", computedMs);
      m.put("end_ms", endMs);
      write(m);
    });
    Thread sampler = new Thread(BenchQueryListener::sample, "bench-memory-sampler");
    sampler.setDaemon(true);
    sampler.start();
    Runtime.getRuntime().addShutdownHook(new Thread(BenchQueryListener::end));
  }

  @Override
  public void onQueryStarted(QueryStartedEvent event) {
    write(Map.of("type", "started", "t_ms", System.currentTimeMillis()));
  }

  @Override
  public void onQueryProgress(QueryProgressEvent event) {
    StreamingQueryProgress p = event.progress();
    long stateRows = 0;
    long stateBytes = 0;
    for (StateOperatorProgress s : p.stateOperators()) {
      stateRows += s.numRowsTotal();
      stateBytes += s.memoryUsedBytes();
    }
    Long duration = p.durationMs().get("triggerExecution");
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", "batch");
    m.put("batch", p.batchId());
    m.put("rows", p.numInputRows());
    m.put("start_ms", Instant.parse(p.timestamp()).toEpochMilli());
    m.put("duration_ms", duration == null ? 0 : duration);
    m.put("durations", p.durationMs());
    String watermark = p.eventTime().get("watermark");
    m.put("watermark_ms", watermark == null ? -1 : Instant.parse(watermark).toEpochMilli());
    m.put("state_rows", stateRows);
    m.put("state_bytes", stateBytes);
    m.put("heap_used", heapUsed());
    m.put("rss", procStatus("VmRSS"));
    SourceProgress[] sources = p.sources();
    m.put("end_offset", sources.length == 0 ? null : sources[0].endOffset());
    write(m);
  }

  @Override
  public void onQueryIdle(QueryIdleEvent event) {}

  @Override
  public void onQueryTerminated(QueryTerminatedEvent event) {
    end();
  }

  private static void sample() {
    long lastLine = 0;
    while (!ended) {
      heapUsed();
      long now = System.currentTimeMillis();
      if (now - lastLine >= 1000) {
        lastLine = now;
        write(Map.of("type", "memory", "t_ms", now, "heap_used", MEMORY.getHeapMemoryUsage().getUsed(),
            "rss", procStatus("VmRSS")));
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static long heapUsed() {
    long used = MEMORY.getHeapMemoryUsage().getUsed();
    PEAK_HEAP.accumulateAndGet(used, Math::max);
    return used;
  }

  private static synchronized void end() {
    if (ended) {
      return;
    }
    ended = true;
    heapUsed();
    // VmHWM is the kernel's own high-water mark of the resident set: the true peak, not a sample.
    write(Map.of("type", "end", "t_ms", System.currentTimeMillis(), "peak_heap", PEAK_HEAP.get(),
        "peak_rss", procStatus("VmHWM")));
    try {
      out.close();
    } catch (IOException e) {
      // the JVM is ending; nothing to report to
    }
  }

  private static synchronized void write(Map<String, Object> line) {
    if (ended && !"end".equals(line.get("type"))) {
      return;
    }
    try {
      out.write(JSON.writeValueAsString(line));
      out.write('\n');
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A size line of /proc/self/status (e.g. VmRSS), in bytes; -1 where there is no /proc. */
  static long procStatus(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(field + ":")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }
}
