package io.iotpipe.event;

import static io.iotpipe.event.EventFields.DEVICE_ID;
import static io.iotpipe.event.EventFields.EVENT_ID;
import static io.iotpipe.event.EventFields.EVENT_TIME;
import static io.iotpipe.event.EventFields.KAFKA_OFFSET;
import static io.iotpipe.event.EventFields.KAFKA_PARTITION;
import static io.iotpipe.event.EventFields.KAFKA_TOPIC;
import static io.iotpipe.event.EventFields.METRICS;
import static io.iotpipe.event.EventFields.REASON;
import static io.iotpipe.event.EventFields.TENANT_ID;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count_if;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapGroupsWithStateFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.streaming.GroupState;
import org.apache.spark.sql.streaming.GroupStateTimeout;
import org.apache.spark.sql.streaming.OutputMode;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The one deduplication of events, shared by every streaming job, so that all of them count the
 * same records as duplicates.
 *
 * <p><b>The rule.</b> Within a tenant, the first record of an event id in Kafka order is the
 * event; a later record with the same (tenant_id, event_id) is a duplicate, whatever its payload,
 * as long as the job's event-time clock (the newest event time it has seen: its watermark plus
 * its allowed lateness) has not moved more than {@code dedup.horizon} past the clock when the
 * first record was read (taken at the end of that record's micro-batch, or later). The bound is
 * in event time, so it holds however fast the topic is read, and late events are deduplicated
 * like the others. Kafka
 * order: by offset within a partition (a producer's retries of an event go to the partition of its
 * key); among records of one micro-batch in different partitions, by (partition, offset). Invalid
 * records pass through untouched: each is its own record.
 *
 * <p><b>The state.</b> Events are spread by a hash of (tenant_id, event_id) over
 * {@code dedup.shards} shards, each one state value ({@link DedupShard}) holding the events it
 * still remembers. A micro-batch reads and rewrites only the shards its records fall into, and a
 * shard forgets what is past the horizon whenever it is touched. There are no timeouts, so no
 * micro-batch scans the whole state (Spark 3.5 finds timed-out keys, and its own deduplication
 * the keys to evict, by iterating over every key of the store); the state is bounded by the
 * number of shards times the events each holds within the horizon.
 *
 * <p><b>The output</b> has every input column, {@link #WATERMARK_MS} (the micro-batch's
 * event-time watermark, for the caller's lateness decision) and {@link #DUPLICATE}.
 */
public final class EventDedup {
  private EventDedup() {}

  /** The event-time watermark of the micro-batch (epoch ms; 0 before the first one). */
  public static final String WATERMARK_MS = "watermark_ms";
  /** True for a record dropped as a duplicate. */
  public static final String DUPLICATE = "duplicate";
  private static final String SHARD = "_dedup_shard";

  public static final OptionKey<Duration> HORIZON = OptionKey.duration("dedup.horizon", Duration.ofMinutes(10),
      Duration.ofSeconds(1), "a record of a (tenant_id, event_id) already read is a duplicate until the newest "
          + "event time seen has moved this far past where it was when the first record was read");
  public static final OptionKey<Integer> SHARDS = OptionKey.integer("dedup.shards", 1 << 18, 1, 1 << 26,
      "state values the deduplication spreads events over (fixed by a checkpoint's first run): about the events "
          + "within the horizon at peak rate divided by 10");
  public static final List<OptionKey<?>> KEYS = List.of(HORIZON, SHARDS);

  /** The deduplication's options: the horizon and the number of shards. */
  public record Options(Duration horizon, int shards) implements Serializable {
    public static Options from(Settings s) {
      return new Options(s.get(HORIZON), s.get(SHARDS));
    }
  }

  /**
   * Marks the duplicates among the rows of {@link EventParser#parse} (or a projection of them
   * that keeps tenant_id, event_id, event_time, the Kafka coordinates and reason). Defines the
   * event-time watermark with {@code allowedLateness}: a caller that needs a watermark further
   * down (a stateful operator after this one) defines it again on this output.
   */
  public static Dataset<Row> apply(Dataset<Row> parsed, Options o, Duration allowedLateness) {
    Column valid = EventParser.isValid();
    Column shard = pmod(when(valid, xxhash64(col(TENANT_ID), col(EVENT_ID)))
        .otherwise(xxhash64(col(KAFKA_TOPIC), col(KAFKA_PARTITION), col(KAFKA_OFFSET))), lit(o.shards()))
        .cast("int");
    Dataset<Row> in = parsed.withColumn(SHARD, shard)
        .withWatermark(EVENT_TIME, allowedLateness.toMillis() + " milliseconds");
    StructType inSchema = in.schema();
    StructType outSchema = parsed.schema()
        .add(WATERMARK_MS, DataTypes.LongType, false)
        .add(DUPLICATE, DataTypes.BooleanType, false);
    return in.groupBy(col(SHARD)).as(Encoders.INT(), Encoders.row(inSchema))
        .flatMapGroupsWithState(new ShardFunction(inSchema, o, allowedLateness), OutputMode.Append(),
            Encoders.BINARY(), Encoders.row(outSchema), GroupStateTimeout.NoTimeout());
  }

  /**
   * The valid, distinct events of {@link EventParser#parse}'s rows, as the jobs that compute per
   * device (aggregates, features, device-health) read them: only the columns they need cross the
   * deduplication's shuffle (tenant_id, device_id, event_id, event_time, metrics, the Kafka
   * coordinates, {@link #WATERMARK_MS}), and the duplicates dropped are counted in the observation
   * {@code observation} (one value: the duplicates of the micro-batch).
   */
  public static Dataset<Row> distinctValidEvents(Dataset<Row> parsed, Options o, Duration allowedLateness,
      String observation) {
    Dataset<Row> valid = parsed.where(EventParser.isValid()).select(col(TENANT_ID), col(DEVICE_ID), col(EVENT_ID),
        col(EVENT_TIME), col(METRICS), col(KAFKA_TOPIC), col(KAFKA_PARTITION), col(KAFKA_OFFSET), col(REASON));
    Column duplicate = col(DUPLICATE);
    return apply(valid, o, allowedLateness)
        .observe(observation, count_if(duplicate))
        .where(not(duplicate))
        .drop(DUPLICATE);
  }

  /** One shard, one micro-batch. */
  static final class ShardFunction implements FlatMapGroupsWithStateFunction<Integer, Row, byte[], Row> {
    private static final long serialVersionUID = 1L;
    private final int tenant;
    private final int eventId;
    private final int partition;
    private final int offset;
    private final int reason;
    private final int width;
    private final long horizonMs;
    private final long latenessMs;

    ShardFunction(StructType in, Options o, Duration allowedLateness) {
      this.tenant = in.fieldIndex(TENANT_ID);
      this.eventId = in.fieldIndex(EVENT_ID);
      this.partition = in.fieldIndex(KAFKA_PARTITION);
      this.offset = in.fieldIndex(KAFKA_OFFSET);
      this.reason = in.fieldIndex(REASON);
      this.width = in.size() - 1; // without the shard column, which is last
      this.horizonMs = o.horizon().toMillis();
      this.latenessMs = allowedLateness.toMillis();
    }

    @Override
    public Iterator<Row> call(Integer shard, Iterator<Row> rows, GroupState<byte[]> state) {
      DedupShard seen = state.exists() ? DedupShard.fromBytes(state.get()) : new DedupShard();
      long watermarkMs = state.getCurrentWatermarkMs();
      if (watermarkMs > 0) { // Spark's watermark is 0 until a batch with event times has ended
        seen.advance(watermarkMs + latenessMs, horizonMs); // the newest event time of the earlier batches
      }
      List<Row> batch = new ArrayList<>();
      rows.forEachRemaining(batch::add);
      batch.sort(Comparator.comparingInt((Row r) -> r.getInt(partition)).thenComparingLong(r -> r.getLong(offset)));
      List<Row> out = new ArrayList<>(batch.size());
      for (Row r : batch) {
        boolean duplicate = r.isNullAt(reason) && !seen.firstTime(r.getString(tenant), r.getString(eventId));
        Object[] values = new Object[width + 2];
        for (int i = 0; i < width; i++) {
          values[i] = r.get(i);
        }
        values[width] = watermarkMs;
        values[width + 1] = duplicate;
        out.add(RowFactory.create(values));
      }
      if (seen.isEmpty()) {
        state.remove();
      } else {
        state.update(seen.toBytes());
      }
      return out.iterator();
    }
  }
}
