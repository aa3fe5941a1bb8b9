package io.iotpipe.jobs.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.data.UdtValue;
import com.datastax.oss.driver.api.core.type.UserDefinedType;
import io.iotpipe.aggregate.AggregateTables;
import io.iotpipe.aggregate.WindowServing;
import io.iotpipe.cassandra.InFlightWrites;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * The other ceiling: how many {@code device_window_metrics} rows per second the Cassandra node
 * takes from one client with as many writes in flight as a task of the jobs
 * ({@link InFlightWrites#PER_TASK}). The aggregates job writes one such row (every metric of a
 * window) per device, window and micro-batch that changed it, so this bounds its throughput.
 */
final class CassandraWriteRate {
  /** One pass: rows and seconds. */
  record Pass(long rows, double seconds) {
    double rowsPerSecond() {
      return rows / seconds;
    }
  }

  private CassandraWriteRate() {}

  /** Writes {@code rows} full rows (4 metrics, with a TTL, as the job writes them) of a tenant of its own. */
  static Pass measure(CqlSession session, String keyspace, int rows) {
    PreparedStatement insert = session.prepare("INSERT INTO " + keyspace + "." + WindowServing.DEVICE_TABLE
        + " (tenant_id, device_id, window_size, bucket, window_start, window_end, metrics, final, updated_at)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL 86400");
    UserDefinedType type = session.getMetadata().getKeyspace(keyspace)
        .flatMap(k -> k.getUserDefinedType("window_stats")).orElseThrow();
    Instant base = Instant.ofEpochSecond(Instant.now().getEpochSecond() / 60 * 60);
    long start = System.nanoTime();
    try (InFlightWrites writes = new InFlightWrites(session, InFlightWrites.PER_TASK)) {
      for (int i = 0; i < rows; i++) {
        // 10,000 devices, consecutive windows: the shape of the job's writes.
        Instant window = base.plusSeconds(60L * (i / 10_000));
        Map<String, UdtValue> metrics = new HashMap<>();
        for (int m = 0; m < 4; m++) {
          metrics.put("metric-" + m, type.newValue((long) i, 1.0, 0.5, 1.5, 1.0, 0.1, window, 1.0,
              window.plusSeconds(59), 1.0, 1.0, 1.4, 1.5, null));
        }
        writes.send(insert.bind("tenant-ceiling", "dev-" + (i % 10_000), 60, AggregateTables.bucket(window, 60),
            window, window.plusSeconds(60), metrics, false, Instant.now()));
      }
    }
    return new Pass(rows, (System.nanoTime() - start) / 1e9);
  }
}
