package io.iotpipe.aggregate;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads windows back from the Cassandra serving tables, the way a dashboard would: one partition
 * (time bucket) at a time, newest first.
 */
public final class WindowReader {
  /** A window as served: the key columns, the statistics and whether it is final. */
  public record ServedWindow(String deviceId, String metric, long sizeSeconds, Instant windowStart, Instant windowEnd,
      long count, double sum, double min, double max, double mean, double stddev, double firstValue,
      double lastValue, double p50, double p95, double p99, boolean isFinal) {}

  private final CqlSession session;
  private final PreparedStatement deviceBucket;
  private final PreparedStatement fleetRange;

  public WindowReader(CqlSession session, String keyspace) {
    this.session = session;
    this.deviceBucket = session.prepare("SELECT * FROM " + keyspace + "." + AggregateTables.DEVICE_WINDOWS
        + " WHERE tenant_id = ? AND device_id = ? AND metric = ? AND window_size = ? AND bucket = ? LIMIT ?");
    this.fleetRange = session.prepare("SELECT * FROM " + keyspace + "." + AggregateTables.FLEET_WINDOWS
        + " WHERE tenant_id = ? AND window_size = ? AND bucket = ? AND window_start >= ? AND window_start < ?");
  }

  /**
   * The latest {@code n} windows of one device and metric that start before {@code asOf}, newest
   * first, looking back at most {@code maxBuckets} buckets.
   */
  public List<ServedWindow> latestDeviceWindows(String tenant, String device, String metric, long sizeSeconds,
      int n, Instant asOf, int maxBuckets) {
    List<ServedWindow> out = new ArrayList<>();
    Instant bucket = AggregateTables.bucket(asOf, sizeSeconds);
    long span = sizeSeconds * AggregateTables.WINDOWS_PER_BUCKET;
    for (int i = 0; i < maxBuckets && out.size() < n; i++) {
      for (Row r : session.execute(deviceBucket.bind(tenant, device, metric, (int) sizeSeconds, bucket, n))) {
        if (out.size() < n && r.getInstant("window_start").isBefore(asOf)) {
          out.add(window(r, r.getString("device_id")));
        }
      }
      bucket = bucket.minusSeconds(span);
    }
    return out;
  }

  /** One tenant's fleet windows (every metric) that start in [from, to), newest first. */
  public List<ServedWindow> fleetWindows(String tenant, long sizeSeconds, Instant from, Instant to) {
    List<ServedWindow> out = new ArrayList<>();
    long span = sizeSeconds * AggregateTables.WINDOWS_PER_BUCKET;
    for (Instant b = AggregateTables.bucket(to.minusMillis(1), sizeSeconds);
        !b.isBefore(AggregateTables.bucket(from, sizeSeconds)); b = b.minusSeconds(span)) {
      for (Row r : session.execute(fleetRange.bind(tenant, (int) sizeSeconds, b, from, to))) {
        out.add(window(r, null));
      }
    }
    return out;
  }

  private static ServedWindow window(Row r, String device) {
    return new ServedWindow(device, r.getString("metric"), r.getInt("window_size"), r.getInstant("window_start"),
        r.getInstant("window_end"), r.getLong("count"), r.getDouble("sum"), r.getDouble("min"), r.getDouble("max"),
        r.getDouble("mean"), r.getDouble("stddev"), r.getDouble("first_value"), r.getDouble("last_value"),
        r.getDouble("p50"), r.getDouble("p95"), r.getDouble("p99"), r.getBoolean("final"));
  }
}
