package io.iotpipe.jobs.health;

import io.iotpipe.cassandra.CassandraOptions;
import io.iotpipe.config.InvalidOptionException;
import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import io.iotpipe.delta.StorageOptions;
import io.iotpipe.event.EventDedup;
import io.iotpipe.event.ValidationLimits;
import io.iotpipe.health.HealthRules;
import io.iotpipe.kafka.KafkaOptions;
import io.iotpipe.spark.StreamOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The options of job {@code device-health}; see its README. */
public record DeviceHealthOptions(KafkaOptions kafka, CassandraOptions cassandra, StorageOptions storage,
    ValidationLimits limits, StreamOptions stream, HealthRules rules, Duration allowedLateness,
    EventDedup.Options dedup, String topic, Duration ttl) {

  static final String JOB = "device-health";
  static final String DEFAULT_TRIGGER = "5s";

  public static final OptionKey<String> RULES_FILE = OptionKey.string("device-health.rules-file",
      "conf/health-rules.conf", "the declarative health rules (HOCON), read by the driver at start-up");
  public static final OptionKey<Duration> ALLOWED_LATENESS = OptionKey.duration("device-health.allowed-lateness",
      Duration.ofSeconds(30), Duration.ZERO, "readings are applied in event-time order once the watermark "
          + "(largest event time seen minus this) passes them; older ones are late");
  public static final OptionKey<String> TOPIC = OptionKey.string("device-health.topic", "device-health",
      "Kafka topic of transitions and alarms (transactional: read with isolation.level=read_committed)");
  public static final OptionKey<Duration> TTL = OptionKey.duration("device-health.ttl", Duration.ofDays(30),
      Duration.ofMinutes(1), "TTL of rows in the Cassandra tables device_transitions and device_alarms");

  public static List<OptionKey<?>> keys() {
    List<OptionKey<?>> keys = new ArrayList<>(KafkaOptions.KEYS);
    keys.addAll(CassandraOptions.KEYS);
    keys.addAll(StorageOptions.KEYS);
    keys.addAll(ValidationLimits.KEYS);
    keys.addAll(StreamOptions.keys(JOB, DEFAULT_TRIGGER));
    keys.addAll(EventDedup.KEYS);
    keys.addAll(List.of(RULES_FILE, ALLOWED_LATENESS, TOPIC, TTL));
    return keys;
  }

  public static DeviceHealthOptions from(Settings s) {
    StorageOptions storage = StorageOptions.from(s);
    HealthRules rules;
    try {
      rules = HealthRules.load(Path.of(s.get(RULES_FILE)));
    } catch (HealthRules.RulesException e) {
      throw new InvalidOptionException(RULES_FILE.name(), e.getMessage());
    }
    return new DeviceHealthOptions(KafkaOptions.from(s), CassandraOptions.from(s), storage, ValidationLimits.from(s),
        StreamOptions.from(s, JOB, DEFAULT_TRIGGER, storage), rules, s.get(ALLOWED_LATENESS),
        EventDedup.Options.from(s), s.get(TOPIC), s.get(TTL));
  }
}
