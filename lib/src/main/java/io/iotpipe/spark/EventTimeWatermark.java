package io.iotpipe.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.time.Duration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * An event-time watermark for stateful functions ({@code flatMapGroupsWithState}) that must see
 * every event, late ones included, and decide themselves what is late.
 *
 * <p>Spark's event-time timeouts drop input rows behind the watermark before the function sees
 * them. The watermark is therefore defined on a copy of the event time shifted {@link #SHIFT} into
 * the future, with the same extra delay: its value stays (largest event time - allowed lateness),
 * which is what {@code GroupState.getCurrentWatermarkMs()} returns and what timeouts fire on, while
 * the drop filter could only hit an event more than a century behind the others (validation
 * refuses events more than validation.max-event-age older than their Kafka timestamp).
 */
public final class EventTimeWatermark {
  /** How far the watermark column is shifted; far more than any event may lag. */
  public static final Duration SHIFT = Duration.ofDays(36_500);
  /** The watermark column added to the input. */
  public static final String COLUMN = "_watermark_time";

  private EventTimeWatermark() {}

  /** {@code events} with the watermark column on {@code eventTimeColumn}. */
  public static Dataset<Row> on(Dataset<Row> events, String eventTimeColumn, Duration allowedLateness) {
    return events
        .withColumn(COLUMN, col(eventTimeColumn).plus(lit(SHIFT)))
        .withWatermark(COLUMN, SHIFT.plus(allowedLateness).toMillis() + " milliseconds");
  }
}
