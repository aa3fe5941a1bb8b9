package io.iotpipe.features;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.timestamp_micros;

import io.iotpipe.event.DeviceEvents;
import io.iotpipe.event.EventParser;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapGroupsFunction;
import org.apache.spark.api.java.function.FlatMapGroupsWithStateFunction;
import org.apache.spark.ml.functions;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.GroupState;
import org.apache.spark.sql.streaming.GroupStateTimeout;
import org.apache.spark.sql.streaming.OutputMode;

/**
 * Feature vectors per device event (definitions: {@link FeatureSpec}), one implementation for the
 * streaming features job ({@link #stream}) and for batch recomputations over the events table
 * ({@link #batch}). {@link #featureRows} shapes either output into the rows of the offline store:
 * one named column per feature; {@link #vector} assembles them into the MLlib vector a model reads.
 */
public final class FeatureComputation {
  public static final String VECTOR = "features";

  private FeatureComputation() {}

  /**
   * Feature rows (and LATE markers) of a stream of valid, deduplicated events
   * ({@link io.iotpipe.event.EventDedup#distinctValidEvents}).
   */
  public static Dataset<Row> stream(Dataset<Row> events, FeatureSpec spec) {
    return DeviceEvents.byDevice(events, spec.allowedLateness())
        .flatMapGroupsWithState(new Streaming(spec), OutputMode.Append(), Encoders.BINARY(),
            Encoders.row(spec.outputSchema()), GroupStateTimeout.EventTimeTimeout());
  }

  /** The same features over a finite set of distinct events (none is late), such as the events table. */
  public static Dataset<Row> batch(Dataset<Row> events, FeatureSpec spec) {
    return DeviceEvents.byDevice(events).flatMapGroups(new Batch(spec), Encoders.row(spec.outputSchema()));
  }

  /**
   * The FEATURES rows of {@link #stream} or {@link #batch} as offline-store rows: tenant_id,
   * device_id, event_id, feature_time, feature_date, feature_set and one column per feature.
   * Each feature is stored once: as a named column, which SQL, notebooks and Parquet's column
   * statistics can use, and not a second time as a vector.
   */
  public static Dataset<Row> featureRows(Dataset<Row> output, FeatureSpec spec) {
    List<String> names = spec.names();
    Column values = col(FeatureSpec.VALUES);
    List<Column> cols = new ArrayList<>(List.of(col("tenant_id"), col("device_id"), col("event_id"),
        timestamp_micros(col("feature_time_us")).as("feature_time"),
        EventParser.utcDate(timestamp_micros(col("feature_time_us"))).as("feature_date"),
        lit(spec.id()).as("feature_set")));
    for (int i = 0; i < names.size(); i++) {
      cols.add(values.getItem(i).as(names.get(i)));
    }
    return output.where(isFeatures()).select(cols.toArray(Column[]::new));
  }

  /**
   * {@value #VECTOR}: the named feature columns {@code names} (a model's, in its order) as one
   * MLlib vector, built by the engine from the row's own columns, for training and scoring.
   */
  public static Column vector(List<String> names) {
    return functions.array_to_vector(values(names)).as(VECTOR);
  }

  /** The named feature columns {@code names} as one array of doubles, in that order. */
  public static Column values(List<String> names) {
    return array(names.stream().map(n -> col(n)).toArray(Column[]::new));
  }

  /**
   * The offline-store rows ({@link #featureRows}) of each device's latest vector in {@code output}
   * (one per device of a micro-batch), for the online store: what it would pick from all the rows,
   * without a shuffle of all of them.
   */
  public static Dataset<Row> latestFeatureRows(Dataset<Row> output, FeatureSpec spec) {
    return featureRows(output.where(col(FeatureSpec.LATEST)), spec);
  }

  /**
   * The Parquet column paths of the offline rows that hold feature values: written without a
   * dictionary ({@link io.iotpipe.spark.SparkSessions#writePlainParquet}), as every value is
   * nearly always distinct (building and dropping the dictionaries was 7% of the features job's CPU).
   */
  public static List<String> featureValueColumns(FeatureSpec spec) {
    return spec.names();
  }

  /** The output's rows of features. */
  public static Column isFeatures() {
    return col("kind").equalTo(DeviceFeatureProcessor.FEATURES);
  }

  /** The output's markers of late events. */
  public static Column isLate() {
    return col("kind").equalTo(DeviceFeatureProcessor.LATE);
  }

  static final class Streaming implements FlatMapGroupsWithStateFunction<String, Row, byte[], Row> {
    private static final long serialVersionUID = 1L;
    private final FeatureSpec spec;
    private final DeviceFeatureProcessor processor;

    Streaming(FeatureSpec spec) {
      this.spec = spec;
      this.processor = new DeviceFeatureProcessor(spec);
    }

    @Override
    public Iterator<Row> call(String key, Iterator<Row> events, GroupState<byte[]> state) {
      DeviceFeatureState st = state.exists() ? DeviceFeatureState.fromBytes(state.get(), spec) : new DeviceFeatureState(spec);
      long watermarkMs = state.getCurrentWatermarkMs();
      List<Row> out = new ArrayList<>();
      processor.process(events, st, watermarkMs, out);
      if (!st.pending.isEmpty()) {
        state.update(st.toBytes());
        // Called again once the watermark passes the earliest waiting event.
        state.setTimeoutTimestamp(Math.max(watermarkMs, st.pending.firstKey().tMicros() / 1000L));
      } else if (st.hasHistory() && st.prevMicros / 1000L + spec.longestHorizonMicros() / 1000L > watermarkMs) {
        state.update(st.toBytes());
        // Forgotten once the watermark is a whole horizon past the device's last event: its next
        // event would find nothing in any horizon anyway.
        state.setTimeoutTimestamp(st.prevMicros / 1000L + spec.longestHorizonMicros() / 1000L);
      } else {
        state.remove();
      }
      return out.iterator();
    }
  }

  static final class Batch implements FlatMapGroupsFunction<String, Row, Row> {
    private static final long serialVersionUID = 1L;
    private final FeatureSpec spec;
    private final DeviceFeatureProcessor processor;

    Batch(FeatureSpec spec) {
      this.spec = spec;
      this.processor = new DeviceFeatureProcessor(spec);
    }

    @Override
    public Iterator<Row> call(String key, Iterator<Row> events) {
      List<Row> out = new ArrayList<>();
      processor.process(events, new DeviceFeatureState(spec), Long.MAX_VALUE, out);
      return out.iterator();
    }
  }
}
