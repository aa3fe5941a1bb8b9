package io.iotpipe.jobs.aggregates;

import io.iotpipe.aggregate.AggregationSpec;
import io.iotpipe.cassandra.CassandraOptions;
import io.iotpipe.config.Durations;
import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import io.iotpipe.delta.StorageOptions;
import io.iotpipe.event.EventDedup;
import io.iotpipe.event.ValidationLimits;
import io.iotpipe.kafka.KafkaOptions;
import io.iotpipe.spark.StreamOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The options of job {@code aggregates}; see its README. */
public record AggregatesOptions(
    KafkaOptions kafka,
    CassandraOptions cassandra,
    StorageOptions storage,
    ValidationLimits limits,
    StreamOptions stream,
    EventDedup.Options dedup,
    AggregationSpec spec,
    Duration deviceWindowsTtl,
    Duration fleetWindowsTtl) {

  static final String JOB = "aggregates";
  static final String DEFAULT_TRIGGER = "10s";

  public static final OptionKey<List<Duration>> WINDOW_SIZES = new OptionKey<>("aggregates.window-sizes",
      "durations, comma separated", List.of(Duration.ofMinutes(1), Duration.ofHours(1)),
      "tumbling window sizes (whole seconds dividing a day, multiples of the smallest)", s -> {
        List<Duration> sizes = Arrays.stream(s.split(",")).map(String::trim).map(Durations::parse).toList();
        new AggregationSpec(sizes, Duration.ZERO); // checks them
        return sizes;
      });
  public static final OptionKey<Duration> ALLOWED_LATENESS = OptionKey.duration("aggregates.allowed-lateness",
      Duration.ofMinutes(2), Duration.ZERO,
      "watermark = largest event time seen minus this; an event whose smallest window the watermark passed is late");
  public static final OptionKey<Duration> DEVICE_TTL = OptionKey.duration("aggregates.device-windows-ttl",
      Duration.ofDays(30), Duration.ofMinutes(1), "rows of Cassandra table device_window_metrics expire this long after "
          + "their window's end");
  public static final OptionKey<Duration> FLEET_TTL = OptionKey.duration("aggregates.fleet-windows-ttl",
      Duration.ofDays(90), Duration.ofMinutes(1), "rows of Cassandra table fleet_window_metrics expire this long after "
          + "their window's end");

  public static List<OptionKey<?>> keys() {
    List<OptionKey<?>> keys = new ArrayList<>(KafkaOptions.KEYS);
    keys.addAll(CassandraOptions.KEYS);
    keys.addAll(StorageOptions.KEYS);
    keys.addAll(ValidationLimits.KEYS);
    keys.addAll(StreamOptions.keys(JOB, DEFAULT_TRIGGER));
    keys.addAll(EventDedup.KEYS);
    keys.addAll(List.of(WINDOW_SIZES, ALLOWED_LATENESS, DEVICE_TTL, FLEET_TTL));
    return keys;
  }

  /** The part of the options a batch recomputation needs: the windows and the serving tables' TTLs. */
  public record Batch(AggregationSpec spec, Duration deviceWindowsTtl, Duration fleetWindowsTtl) {
    public static final List<OptionKey<?>> KEYS = List.of(WINDOW_SIZES, ALLOWED_LATENESS, DEVICE_TTL, FLEET_TTL);

    public static Batch from(Settings s) {
      return new Batch(new AggregationSpec(s.get(WINDOW_SIZES), s.get(ALLOWED_LATENESS)), s.get(DEVICE_TTL),
          s.get(FLEET_TTL));
    }
  }

  public static AggregatesOptions from(Settings s) {
    StorageOptions storage = StorageOptions.from(s);
    return new AggregatesOptions(KafkaOptions.from(s), CassandraOptions.from(s), storage, ValidationLimits.from(s),
        StreamOptions.from(s, JOB, DEFAULT_TRIGGER, storage), EventDedup.Options.from(s),
        new AggregationSpec(s.get(WINDOW_SIZES), s.get(ALLOWED_LATENESS)),
        s.get(DEVICE_TTL), s.get(FLEET_TTL));
  }
}
