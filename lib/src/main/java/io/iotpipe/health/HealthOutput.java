package io.iotpipe.health;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Rows the health function emits: {@code TRANSITION} (from, to, reason), {@code ALARM} (rule,
 * severity, RAISED or CLEARED, the reading, when it was raised), and {@code LATE} markers for the
 * accounting (duplicates never reach it: {@link io.iotpipe.event.EventDedup}). {@code time_us} is the event time the row is about: the reading that caused it, or
 * for OFFLINE the last event plus the inactivity timeout.
 */
public final class HealthOutput {
  private HealthOutput() {}

  public static final String TRANSITION = "TRANSITION";
  public static final String ALARM = "ALARM";
  public static final String LATE = "LATE";
  public static final String RAISED = "RAISED";
  public static final String CLEARED = "CLEARED";

  public static final StructType SCHEMA = new StructType()
      .add("kind", DataTypes.StringType)
      .add("tenant_id", DataTypes.StringType)
      .add("device_id", DataTypes.StringType)
      .add("time_us", DataTypes.LongType)
      .add("from_status", DataTypes.StringType)
      .add("to_status", DataTypes.StringType)
      .add("reason", DataTypes.StringType)
      .add("rule", DataTypes.StringType)
      .add("severity", DataTypes.StringType)
      .add("alarm_state", DataTypes.StringType)
      .add("metric", DataTypes.StringType)
      .add("value", DataTypes.DoubleType)
      .add("raised_us", DataTypes.LongType);

  static Row transition(String tenant, String device, long tUs, DeviceStatus from, DeviceStatus to, String reason) {
    return RowFactory.create(TRANSITION, tenant, device, tUs, from.name(), to.name(), reason, null, null, null, null, null,
        null);
  }

  /** @param raisedUs when the alarm was raised (the same as tUs for RAISED) */
  static Row alarm(String tenant, String device, long tUs, HealthRules.Rule rule, String state, double value,
      long raisedUs) {
    return RowFactory.create(ALARM, tenant, device, tUs, null, null, null, rule.name(), rule.severity().name(), state,
        rule.metric(), value, raisedUs);
  }

  static Row marker(String kind, String tenant, String device, long tUs) {
    return RowFactory.create(kind, tenant, device, tUs, null, null, null, null, null, null, null, null, null);
  }
}
