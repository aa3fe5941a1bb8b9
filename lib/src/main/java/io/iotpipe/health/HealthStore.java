package io.iotpipe.health;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.timestamp_micros;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.spark.connector.cql.CassandraConnector;
import io.iotpipe.cassandra.InFlightWrites;
import io.iotpipe.delta.TableSpec;
import io.iotpipe.event.EventParser;
import java.time.Instant;
import java.util.List;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Where health transitions and alarms go: the Delta table {@code health_events} (history) and the
 * Cassandra tables {@code device_status}, {@code device_transitions} and {@code device_alarms}
 * (CQL migration V3). Cassandra rows are keyed by the event times they are about, so replaying
 * a micro-batch rewrites the same rows.
 */
public final class HealthStore {
  private HealthStore() {}

  public static final String STATUS = "device_status";
  public static final String TRANSITIONS = "device_transitions";
  public static final String ALARMS = "device_alarms";

  public static final StructType HISTORY_SCHEMA = new StructType()
      .add("kind", DataTypes.StringType)
      .add("tenant_id", DataTypes.StringType)
      .add("device_id", DataTypes.StringType)
      .add("time", DataTypes.TimestampType)
      .add("from_status", DataTypes.StringType)
      .add("to_status", DataTypes.StringType)
      .add("reason", DataTypes.StringType)
      .add("rule", DataTypes.StringType)
      .add("severity", DataTypes.StringType)
      .add("alarm_state", DataTypes.StringType)
      .add("metric", DataTypes.StringType)
      .add("value", DataTypes.DoubleType)
      .add("raised_at", DataTypes.TimestampType)
      .add("event_date", DataTypes.DateType);

  public static final TableSpec HISTORY = new TableSpec("health_events", HISTORY_SCHEMA, List.of("event_date"))
      .zOrderBy("tenant_id", "device_id");

  /** TRANSITION and ALARM rows of {@link HealthOutput} as history rows. */
  public static Dataset<Row> history(Dataset<Row> output) {
    return output.where(col("kind").isin(HealthOutput.TRANSITION, HealthOutput.ALARM))
        .withColumn("time", timestamp_micros(col("time_us")))
        .withColumn("raised_at", timestamp_micros(col("raised_us")))
        .withColumn("event_date", EventParser.utcDate(col("time")))
        .select(java.util.Arrays.stream(HISTORY_SCHEMA.fieldNames()).map(n -> col(n)).toArray(org.apache.spark.sql.Column[]::new));
  }

  /**
   * Writes history rows to the Cassandra tables, many at once: statuses and alarms carry their
   * event time as write timestamp and transitions have keys of their own, so the order the writes
   * arrive in changes nothing.
   */
  public static void writeServing(Dataset<Row> history, CassandraConnector connector, String keyspace, int ttlSeconds) {
    history.foreachPartition((ForeachPartitionFunction<Row>) rows -> {
      try (CqlSession s = connector.openSession();
           InFlightWrites writes = new InFlightWrites(s, InFlightWrites.PER_TASK)) {
        PreparedStatement status = s.prepare("INSERT INTO " + keyspace + "." + STATUS
            + " (tenant_id, device_id, status, since, reason, updated_at) VALUES (?, ?, ?, ?, ?, ?) USING TIMESTAMP ?");
        PreparedStatement transition = s.prepare("INSERT INTO " + keyspace + "." + TRANSITIONS
            + " (tenant_id, device_id, time, to_status, from_status, reason) VALUES (?, ?, ?, ?, ?, ?) USING TTL ?");
        PreparedStatement raised = s.prepare("INSERT INTO " + keyspace + "." + ALARMS
            + " (tenant_id, device_id, rule, raised_at, severity, metric, raised_value, active)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, true) USING TIMESTAMP ? AND TTL ?");
        PreparedStatement cleared = s.prepare("UPDATE " + keyspace + "." + ALARMS + " USING TIMESTAMP ? AND TTL ?"
            + " SET active = false, cleared_at = ?, cleared_value = ?"
            + " WHERE tenant_id = ? AND device_id = ? AND rule = ? AND raised_at = ?");
        while (rows.hasNext()) {
          Row r = rows.next();
          String tenant = r.getAs("tenant_id");
          String device = r.getAs("device_id");
          Instant time = r.<java.sql.Timestamp>getAs("time").toInstant();
          long writeTime = micros(time);
          if (HealthOutput.TRANSITION.equals(r.getAs("kind"))) {
            writes.send(status.bind(tenant, device, r.<String>getAs("to_status"), time, r.<String>getAs("reason"),
                Instant.now(), writeTime));
            writes.send(transition.bind(tenant, device, time, r.<String>getAs("to_status"), r.<String>getAs("from_status"),
                r.<String>getAs("reason"), ttlSeconds));
          } else if (HealthOutput.RAISED.equals(r.getAs("alarm_state"))) {
            writes.send(raised.bind(tenant, device, r.<String>getAs("rule"), time, r.<String>getAs("severity"),
                r.<String>getAs("metric"), r.<Double>getAs("value"), writeTime, ttlSeconds));
          } else {
            writes.send(cleared.bind(writeTime, ttlSeconds, time, r.<Double>getAs("value"), tenant, device,
                r.<String>getAs("rule"), r.<java.sql.Timestamp>getAs("raised_at").toInstant()));
          }
        }
      }
    });
  }

  private static long micros(Instant t) {
    return t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
  }
}
