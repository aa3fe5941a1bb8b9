package io.iotpipe.jobs.score;

import io.iotpipe.cassandra.CassandraOptions;
import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import io.iotpipe.delta.StorageOptions;
import io.iotpipe.features.FeatureSpec;
import io.iotpipe.jobs.features.FeaturesOptions;
import io.iotpipe.kafka.KafkaOptions;
import io.iotpipe.ml.ModelRegistry;
import io.iotpipe.spark.StreamOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The options of job {@code score}; see its README. */
public record ScoreOptions(KafkaOptions kafka, CassandraOptions cassandra, StorageOptions storage, StreamOptions stream,
    FeatureSpec spec, String modelsRoot, String alertsTopic, Duration alertsTtl) {

  static final String JOB = "score";
  static final String DEFAULT_TRIGGER = "10s";

  public static final OptionKey<String> ALERTS_TOPIC = OptionKey.string("score.alerts-topic", "alerts",
      "Kafka topic of the alerts (created if missing; written in transactions: read it with isolation.level=read_committed)");
  public static final OptionKey<Duration> ALERTS_TTL = OptionKey.duration("score.alerts-ttl", Duration.ofDays(90),
      Duration.ofMinutes(1), "TTL of rows in Cassandra table alerts");

  public static List<OptionKey<?>> keys() {
    List<OptionKey<?>> keys = new ArrayList<>(KafkaOptions.KEYS);
    keys.addAll(CassandraOptions.KEYS);
    keys.addAll(StorageOptions.KEYS);
    keys.addAll(StreamOptions.keys(JOB, DEFAULT_TRIGGER));
    keys.add(ModelRegistry.ROOT);
    keys.addAll(List.of(FeaturesOptions.METRICS, FeaturesOptions.HORIZONS, FeaturesOptions.ALLOWED_LATENESS));
    keys.addAll(List.of(ALERTS_TOPIC, ALERTS_TTL));
    return keys;
  }

  public static ScoreOptions from(Settings s) {
    StorageOptions storage = StorageOptions.from(s);
    return new ScoreOptions(KafkaOptions.from(s), CassandraOptions.from(s), storage,
        StreamOptions.from(s, JOB, DEFAULT_TRIGGER, storage), FeaturesOptions.spec(s), s.get(ModelRegistry.ROOT),
        s.get(ALERTS_TOPIC), s.get(ALERTS_TTL));
  }
}
