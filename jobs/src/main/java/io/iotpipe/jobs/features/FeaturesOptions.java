package io.iotpipe.jobs.features;

import io.iotpipe.cassandra.CassandraOptions;
import io.iotpipe.config.Durations;
import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import io.iotpipe.delta.StorageOptions;
import io.iotpipe.event.EventDedup;
import io.iotpipe.event.ValidationLimits;
import io.iotpipe.features.FeatureSpec;
import io.iotpipe.kafka.KafkaOptions;
import io.iotpipe.spark.StreamOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The options of job {@code features}; see its README. */
public record FeaturesOptions(
    KafkaOptions kafka,
    CassandraOptions cassandra,
    StorageOptions storage,
    ValidationLimits limits,
    StreamOptions stream,
    EventDedup.Options dedup,
    FeatureSpec spec,
    Duration onlineTtl) {

  static final String JOB = "features";
  static final String DEFAULT_TRIGGER = "10s";

  public static final OptionKey<List<String>> METRICS = new OptionKey<>("features.metrics", "names, comma separated",
      List.of("temperature", "humidity", "pressure", "battery"), "metrics the feature vector describes",
      s -> Arrays.stream(s.split(",")).map(String::trim).filter(m -> !m.isEmpty()).toList());
  public static final OptionKey<List<Duration>> HORIZONS = new OptionKey<>("features.horizons",
      "durations, comma separated", List.of(Duration.ofMinutes(5), Duration.ofHours(1)),
      "rolling horizons (whole minutes)", s -> Arrays.stream(s.split(",")).map(String::trim).map(Durations::parse).toList());
  public static final OptionKey<Duration> ALLOWED_LATENESS = OptionKey.duration("features.allowed-lateness",
      Duration.ofMinutes(2), Duration.ZERO,
      "an event's features are computed once the watermark (largest event time seen minus this) passes it");
  public static final OptionKey<Duration> ONLINE_TTL = OptionKey.duration("features.online-ttl",
      Duration.ofDays(7), Duration.ofMinutes(1), "TTL of rows in Cassandra table device_features");

  public static List<OptionKey<?>> keys() {
    List<OptionKey<?>> keys = new ArrayList<>(KafkaOptions.KEYS);
    keys.addAll(CassandraOptions.KEYS);
    keys.addAll(StorageOptions.KEYS);
    keys.addAll(ValidationLimits.KEYS);
    keys.addAll(StreamOptions.keys(JOB, DEFAULT_TRIGGER));
    keys.addAll(EventDedup.KEYS);
    keys.addAll(List.of(METRICS, HORIZONS, ALLOWED_LATENESS, ONLINE_TTL));
    return keys;
  }

  public static FeatureSpec spec(Settings s) {
    try {
      return new FeatureSpec(s.get(METRICS), s.get(HORIZONS), s.get(ALLOWED_LATENESS));
    } catch (IllegalArgumentException e) {
      throw new io.iotpipe.config.InvalidOptionException(
          e.getMessage().startsWith("horizon") ? HORIZONS.name() : METRICS.name(), e.getMessage());
    }
  }

  /** The part of the options a batch recomputation needs: the definitions and the online store's TTL. */
  public record Batch(FeatureSpec spec, Duration onlineTtl) {
    public static final List<OptionKey<?>> KEYS = List.of(METRICS, HORIZONS, ALLOWED_LATENESS, ONLINE_TTL);

    public static Batch from(Settings s) {
      return new Batch(FeaturesOptions.spec(s), s.get(ONLINE_TTL));
    }
  }

  public static FeaturesOptions from(Settings s) {
    StorageOptions storage = StorageOptions.from(s);
    return new FeaturesOptions(KafkaOptions.from(s), CassandraOptions.from(s), storage, ValidationLimits.from(s),
        StreamOptions.from(s, JOB, DEFAULT_TRIGGER, storage), EventDedup.Options.from(s), spec(s), s.get(ONLINE_TTL));
  }
}
