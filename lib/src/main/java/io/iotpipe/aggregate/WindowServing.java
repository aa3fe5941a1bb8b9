package io.iotpipe.aggregate;

import static io.iotpipe.aggregate.WindowAggregation.DEVICES;
import static io.iotpipe.aggregate.WindowAggregation.LEVEL;
import static io.iotpipe.aggregate.WindowAggregation.METRIC;
import static io.iotpipe.aggregate.WindowAggregation.WINDOW_END;
import static io.iotpipe.aggregate.WindowAggregation.WINDOW_SIZE_S;
import static io.iotpipe.aggregate.WindowAggregation.WINDOW_START;
import static io.iotpipe.event.EventFields.DEVICE_ID;
import static io.iotpipe.event.EventFields.TENANT_ID;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.struct;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.data.UdtValue;
import com.datastax.oss.driver.api.core.type.UserDefinedType;
import com.datastax.spark.connector.cql.CassandraConnector;
import io.iotpipe.cassandra.InFlightWrites;
import java.io.Serializable;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.util.LongAccumulator;

/**
 * The Cassandra serving tables of the windows ({@code device_window_metrics},
 * {@code fleet_window_metrics}, migration V5): one row per window with every metric's statistics
 * in a map, written through {@link InFlightWrites}. Every write of a window carries all of its
 * metrics, so a row is replaced whole, and writing the same window twice gives the same row.
 */
public final class WindowServing implements Serializable {
  private static final long serialVersionUID = 1L;
  public static final String DEVICE_TABLE = "device_window_metrics";
  public static final String FLEET_TABLE = "fleet_window_metrics";
  /** The column of the rows to write that says whether the window is final. */
  public static final String FINAL = "final";
  static final String STATS_TYPE = "window_stats";
  private static final String METRICS = "_metrics";
  private static final String[] STATS = {WindowStats.COUNT, WindowStats.SUM, WindowStats.MIN, WindowStats.MAX,
      WindowStats.MEAN, WindowStats.STDDEV, WindowStats.FIRST_TIME, WindowStats.FIRST_VALUE, WindowStats.LAST_TIME,
      WindowStats.LAST_VALUE, WindowStats.P50, WindowStats.P95, WindowStats.P99};

  private final CassandraConnector connector;
  private final String keyspace;
  private final int deviceTtlSeconds;
  private final int fleetTtlSeconds;

  public WindowServing(CassandraConnector connector, String keyspace, Duration deviceTtl, Duration fleetTtl) {
    this.connector = connector;
    this.keyspace = keyspace;
    this.deviceTtlSeconds = (int) deviceTtl.toSeconds();
    this.fleetTtlSeconds = (int) fleetTtl.toSeconds();
  }

  /**
   * Writes window rows (one per metric: the key, the statistics, {@link #FINAL}, and
   * {@link WindowAggregation#DEVICES} for final fleet windows), one Cassandra row per window.
   * A row's TTL counts from the window's end, so windows already past it are skipped (a backfill
   * must not bring them back). Returns the number of Cassandra rows (windows) written.
   */
  public long write(Dataset<Row> windows) {
    Column[] stats = new Column[STATS.length + 2];
    stats[0] = col(METRIC);
    for (int i = 0; i < STATS.length; i++) {
      stats[i + 1] = col(STATS[i]);
    }
    boolean hasDevices = List.of(windows.columns()).contains(DEVICES);
    stats[STATS.length + 1] = hasDevices ? col(DEVICES) : lit(null).cast("long").as(DEVICES);
    Dataset<Row> wide = windows
        .groupBy(col(LEVEL), col(TENANT_ID), col(DEVICE_ID), col(WINDOW_SIZE_S), col(WINDOW_START), col(WINDOW_END),
            col(FINAL))
        .agg(collect_list(struct(stats)).as(METRICS));
    // Counted by an accumulator, read as soon as the write ends (an Observation waits for Spark's
    // listener bus, which lags seconds behind a busy micro-batch).
    LongAccumulator written = wide.sparkSession().sparkContext().longAccumulator("window_serving_rows");
    wide.foreachPartition((ForeachPartitionFunction<Row>) rows -> {
      if (!rows.hasNext()) {
        return;
      }
      try (CqlSession s = connector.openSession(); InFlightWrites writes = new InFlightWrites(s, InFlightWrites.PER_TASK)) {
        UserDefinedType type = s.getMetadata().getKeyspace(keyspace).flatMap(k -> k.getUserDefinedType(STATS_TYPE))
            .orElseThrow(() -> new IllegalStateException("type " + keyspace + "." + STATS_TYPE + " is missing"));
        PreparedStatement device = s.prepare("INSERT INTO " + keyspace + "." + DEVICE_TABLE + " (tenant_id, device_id, "
            + "window_size, bucket, window_start, window_end, metrics, final, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            + " USING TTL ?");
        PreparedStatement fleet = s.prepare("INSERT INTO " + keyspace + "." + FLEET_TABLE + " (tenant_id, window_size, "
            + "bucket, window_start, window_end, metrics, final, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?");
        Instant now = Instant.now();
        while (rows.hasNext()) {
          Row r = rows.next();
          boolean isDevice = WindowAggregation.DEVICE_LEVEL.equals(r.getString(0));
          int size = (int) r.getLong(3);
          Instant start = r.getTimestamp(4).toInstant();
          Instant end = r.getTimestamp(5).toInstant();
          int ttl = remainingTtl(isDevice ? deviceTtlSeconds : fleetTtlSeconds, end, now);
          if (ttl <= 0) {
            continue;
          }
          written.add(1);
          Map<String, UdtValue> metrics = new HashMap<>();
          for (Row m : r.<Row>getList(7)) {
            metrics.put(m.getString(0), stats(type, m));
          }
          Instant bucket = AggregateTables.bucket(start, size);
          writes.send(isDevice
              ? device.bind(r.getString(1), r.getString(2), size, bucket, start, end, metrics, r.getBoolean(6), now, ttl)
              : fleet.bind(r.getString(1), size, bucket, start, end, metrics, r.getBoolean(6), now, ttl));
        }
      }
    });
    return written.value();
  }

  /**
   * Marks device windows final whose row already holds their final statistics (rows with
   * tenant_id, device_id, window_size_s, window_start and window_end; one per window or per
   * metric of it): sets only {@code final} and {@code updated_at}, with the TTL the row was
   * written with. The aggregates job's smallest windows end this way: their final statistics are
   * the last ones it served, so rewriting the whole row would only cost Cassandra the same bytes
   * again (half of the job's serving rows). Returns the number of windows marked.
   */
  public long markFinal(Dataset<Row> deviceWindows) {
    Dataset<Row> keys = deviceWindows.select(col(TENANT_ID), col(DEVICE_ID), col(WINDOW_SIZE_S), col(WINDOW_START),
        col(WINDOW_END)).distinct();
    LongAccumulator marked = keys.sparkSession().sparkContext().longAccumulator("window_serving_finals");
    keys.foreachPartition((ForeachPartitionFunction<Row>) rows -> {
      if (!rows.hasNext()) {
        return;
      }
      try (CqlSession s = connector.openSession(); InFlightWrites writes = new InFlightWrites(s, InFlightWrites.PER_TASK)) {
        PreparedStatement mark = s.prepare("UPDATE " + keyspace + "." + DEVICE_TABLE + " USING TTL ? SET final = true, "
            + "updated_at = ? WHERE tenant_id = ? AND device_id = ? AND window_size = ? AND bucket = ? AND window_start = ?");
        Instant now = Instant.now();
        while (rows.hasNext()) {
          Row r = rows.next();
          int size = (int) r.getLong(2);
          Instant start = r.getTimestamp(3).toInstant();
          int ttl = remainingTtl(deviceTtlSeconds, r.getTimestamp(4).toInstant(), now);
          if (ttl <= 0) {
            continue;
          }
          marked.add(1);
          writes.send(mark.bind(ttl, now, r.getString(0), r.getString(1), size, AggregateTables.bucket(start, size),
              start));
        }
      }
    });
    return marked.value();
  }

  /** The TTL left to a row of a window that ended at {@code end}; 0 or less once it expired. */
  private static int remainingTtl(int ttlSeconds, Instant end, Instant now) {
    return Math.min(ttlSeconds, ttlSeconds - (int) Duration.between(end, now).toSeconds());
  }

  /**
   * Deletes windows (rows with level, tenant_id, device_id, window_size_s and window_start), each
   * key once, so in any order.
   */
  public void delete(Dataset<Row> keys) {
    keys.select(col(LEVEL), col(TENANT_ID), col(DEVICE_ID), col(WINDOW_SIZE_S), col(WINDOW_START)).distinct()
        .foreachPartition((ForeachPartitionFunction<Row>) rows -> {
          try (CqlSession s = connector.openSession();
               InFlightWrites deletes = new InFlightWrites(s, InFlightWrites.PER_TASK)) {
            PreparedStatement device = s.prepare("DELETE FROM " + keyspace + "." + DEVICE_TABLE
                + " WHERE tenant_id = ? AND device_id = ? AND window_size = ? AND bucket = ? AND window_start = ?");
            PreparedStatement fleet = s.prepare("DELETE FROM " + keyspace + "." + FLEET_TABLE
                + " WHERE tenant_id = ? AND window_size = ? AND bucket = ? AND window_start = ?");
            while (rows.hasNext()) {
              Row r = rows.next();
              int size = (int) r.getLong(3);
              Instant start = r.getTimestamp(4).toInstant();
              Instant bucket = AggregateTables.bucket(start, size);
              deletes.send(WindowAggregation.DEVICE_LEVEL.equals(r.getString(0))
                  ? device.bind(r.getString(1), r.getString(2), size, bucket, start)
                  : fleet.bind(r.getString(1), size, bucket, start));
            }
          }
        });
  }

  private static UdtValue stats(UserDefinedType type, Row m) {
    UdtValue v = type.newValue();
    for (int i = 0; i < STATS.length; i++) {
      Object x = m.get(i + 1);
      String field = STATS[i];
      if (x == null) {
        v = v.setToNull(field);
      } else if (x instanceof Timestamp t) {
        v = v.setInstant(field, t.toInstant());
      } else if (x instanceof Long l) {
        v = v.setLong(field, l);
      } else {
        v = v.setDouble(field, (Double) x);
      }
    }
    Object devices = m.get(STATS.length + 1);
    return devices == null ? v.setToNull(DEVICES) : v.setLong(DEVICES, (Long) devices);
  }
}
