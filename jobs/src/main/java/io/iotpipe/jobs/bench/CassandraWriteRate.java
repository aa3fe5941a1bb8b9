package io.iotpipe.jobs.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import io.iotpipe.aggregate.AggregateTables;
import io.iotpipe.cassandra.InFlightWrites;
import java.time.Instant;

/**
 * The other ceiling: how many {@code device_windows} rows per second the Cassandra node takes from
 * one client with as many writes in flight as a task of the jobs ({@link InFlightWrites#PER_TASK}).
 * Every event the aggregates job reads changes at least one such row (one per metric and window
 * size, per micro-batch), so this bounds its throughput.
 */
final class CassandraWriteRate {
  /** One pass: rows and seconds. */
  record Pass(long rows, double seconds) {
    double rowsPerSecond() {
      return rows / seconds;
    }
  }

  private CassandraWriteRate() {}

  /** Writes {@code rows} full rows (every column, with a TTL, as the job writes them) of a tenant of its own. */
  static Pass measure(CqlSession session, String keyspace, int rows) {
    PreparedStatement insert = session.prepare("INSERT INTO " + keyspace + "." + AggregateTables.DEVICE_WINDOWS
        + " (tenant_id, device_id, metric, window_size, bucket, window_start, window_end, count, sum, min, max,"
        + " mean, stddev, first_time, first_value, last_time, last_value, p50, p95, p99, final, updated_at)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL 86400");
    Instant base = Instant.ofEpochSecond(Instant.now().getEpochSecond() / 60 * 60);
    long start = System.nanoTime();
    try (InFlightWrites writes = new InFlightWrites(session, InFlightWrites.PER_TASK)) {
      for (int i = 0; i < rows; i++) {
        // 10,000 devices x 4 metrics, consecutive windows: the shape of the job's writes.
        Instant window = base.plusSeconds(60L * (i / 40_000));
        writes.send(insert.bind("tenant-ceiling", "dev-" + (i % 10_000), "metric-" + (i / 10_000 % 4), 60,
            AggregateTables.bucket(window, 60), window, window.plusSeconds(60), (long) i, 1.0, 0.5, 1.5, 1.0, 0.1,
            window, 1.0, window.plusSeconds(59), 1.0, 1.0, 1.4, 1.5, false, Instant.now()));
      }
    }
    return new Pass(rows, (System.nanoTime() - start) / 1e9);
  }
}
