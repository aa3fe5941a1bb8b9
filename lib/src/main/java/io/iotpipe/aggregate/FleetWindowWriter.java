package io.iotpipe.aggregate;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.spark.connector.cql.CassandraConnector;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.time.Instant;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Keeps the fleet rows in Cassandra current. While a fleet window is open, each micro-batch's
 * additions (merged device deltas) are merged into its accumulator in {@code fleet_window_state}
 * exactly once: the row records the query and batch that last did, and a replayed batch finds
 * itself there and skips. When the window closes, the fleet row is overwritten with the merge of
 * the devices' final windows (the same values as in Delta) and the state row is deleted.
 */
public final class FleetWindowWriter implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final String STATS = "count, sum, min, max, mean, stddev, first_time, first_value, last_time, "
      + "last_value, p50, p95, p99";

  private final CassandraConnector connector;
  private final String keyspace;
  private final int ttlSeconds;

  public FleetWindowWriter(CassandraConnector connector, String keyspace, int ttlSeconds) {
    this.connector = connector;
    this.keyspace = keyspace;
    this.ttlSeconds = ttlSeconds;
  }

  /** Merges one batch's fleet deltas ({@link FleetRollup#MERGED} rows of UPDATE rows) into the open fleet windows. */
  public void applyDeltas(Dataset<Row> mergedDeltas, String queryId, long batchId) {
    mergedDeltas.foreachPartition((ForeachPartitionFunction<Row>) rows -> {
      try (CqlSession s = connector.openSession()) {
        PreparedStatement read = s.prepare("SELECT accumulator, query_id, batch_id FROM " + keyspace + "."
            + AggregateTables.FLEET_WINDOW_STATE + " WHERE tenant_id = ? AND metric = ? AND window_size = ? AND window_start = ?");
        PreparedStatement write = s.prepare("INSERT INTO " + keyspace + "." + AggregateTables.FLEET_WINDOW_STATE
            + " (tenant_id, metric, window_size, window_start, accumulator, query_id, batch_id) VALUES (?, ?, ?, ?, ?, ?, ?)"
            + " USING TTL ?");
        PreparedStatement serve = servingInsert(s);
        while (rows.hasNext()) {
          Row d = rows.next();
          String tenant = d.getAs(col("tenant_id"));
          String metric = d.getAs(col("metric"));
          long size = d.<Long>getAs(col("window_size_s"));
          long startUs = d.<Long>getAs(col("window_start_us"));
          Instant start = Instant.ofEpochMilli(startUs / 1000);
          com.datastax.oss.driver.api.core.cql.Row current =
              s.execute(quorum(read.bind(tenant, metric, (int) size, start))).one();
          WindowAccumulator acc;
          if (current != null && queryId.equals(current.getString("query_id")) && current.getLong("batch_id") >= batchId) {
            acc = WindowAccumulator.fromBytes(bytes(current.getByteBuffer("accumulator")));  // replayed batch: applied already
          } else {
            acc = current != null && queryId.equals(current.getString("query_id"))
                ? WindowAccumulator.fromBytes(bytes(current.getByteBuffer("accumulator")))
                : new WindowAccumulator();
            acc.merge(WindowAccumulator.fromBytes(d.getAs(col("accumulator"))));
            s.execute(quorum(write.bind(tenant, metric, (int) size, start, ByteBuffer.wrap(acc.toBytes()), queryId,
                batchId, ttlSeconds)));
          }
          s.execute(serving(serve, FleetRollup.row(tenant, metric, size, startUs, 0, acc), null, false));
        }
      }
    });
  }

  /** Writes final fleet windows ({@link FleetRollup#MERGED} rows of FINAL rows) and drops their running state. */
  public void writeFinals(Dataset<Row> mergedFinals) {
    mergedFinals.foreachPartition((ForeachPartitionFunction<Row>) rows -> {
      try (CqlSession s = connector.openSession()) {
        PreparedStatement serve = servingInsert(s);
        PreparedStatement delete = s.prepare("DELETE FROM " + keyspace + "." + AggregateTables.FLEET_WINDOW_STATE
            + " WHERE tenant_id = ? AND metric = ? AND window_size = ? AND window_start = ?");
        while (rows.hasNext()) {
          Row f = rows.next();
          s.execute(serving(serve, f, f.<Long>getAs(col("devices")), true));
          s.execute(quorum(delete.bind(f.<String>getAs(col("tenant_id")), f.<String>getAs(col("metric")),
              (int) (long) f.<Long>getAs(col("window_size_s")), Instant.ofEpochMilli(f.<Long>getAs(col("window_start_us")) / 1000))));
        }
      }
    });
  }

  private PreparedStatement servingInsert(CqlSession s) {
    return s.prepare("INSERT INTO " + keyspace + "." + AggregateTables.FLEET_WINDOWS
        + " (tenant_id, window_size, bucket, window_start, metric, window_end, devices, " + STATS
        + ", final, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?");
  }

  /** Binds a {@link FleetRollup#MERGED} row to the fleet_windows insert. */
  private BoundStatement serving(PreparedStatement serve, Row m, Long devices, boolean isFinal) {
    long size = m.<Long>getAs(col("window_size_s"));
    long startUs = m.<Long>getAs(col("window_start_us"));
    Instant start = Instant.ofEpochMilli(startUs / 1000);
    return serve.bind(m.<String>getAs(col("tenant_id")), (int) size, AggregateTables.bucket(start, size), start,
        m.<String>getAs(col("metric")), start.plusSeconds(size), devices, m.<Long>getAs(col("count")), m.<Double>getAs(col("sum")),
        m.<Double>getAs(col("min")), m.<Double>getAs(col("max")), m.<Double>getAs(col("mean")), m.<Double>getAs(col("stddev")),
        Instant.ofEpochMilli(m.<Long>getAs(col("first_us")) / 1000), m.<Double>getAs(col("first_value")),
        Instant.ofEpochMilli(m.<Long>getAs(col("last_us")) / 1000), m.<Double>getAs(col("last_value")), m.<Double>getAs(col("p50")),
        m.<Double>getAs(col("p95")), m.<Double>getAs(col("p99")), isFinal, Instant.now(), ttlSeconds);
  }

  /** Read and write the running state at LOCAL_QUORUM: a read then sees the previous batch's write whatever the replication. */
  private static BoundStatement quorum(BoundStatement b) {
    return b.setConsistencyLevel(DefaultConsistencyLevel.LOCAL_QUORUM);
  }

  /** Position of a column of {@link FleetRollup#MERGED}: rows from a typed Dataset carry no schema. */
  private static int col(String name) {
    return FleetRollup.MERGED.fieldIndex(name);
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }
}
