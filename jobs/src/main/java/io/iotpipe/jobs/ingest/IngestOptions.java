package io.iotpipe.jobs.ingest;

import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import io.iotpipe.delta.StorageOptions;
import io.iotpipe.event.EventDedup;
import io.iotpipe.event.ValidationLimits;
import io.iotpipe.kafka.KafkaOptions;
import io.iotpipe.spark.StreamOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The options of job {@code ingest}; see its README. */
public record IngestOptions(
    KafkaOptions kafka,
    StorageOptions storage,
    ValidationLimits limits,
    StreamOptions stream,
    EventDedup.Options dedup,
    Optional<WriteMode> writeMode) {

  /** How a micro-batch goes into the Delta tables. */
  public enum WriteMode {
    /** Appended once per checkpoint and batch id: the normal, cheapest way. */
    APPEND,
    /** Only rows the tables do not hold yet are inserted: for reading records again. */
    INSERT_MISSING
  }

  static final String JOB = "ingest";
  static final String DEFAULT_TRIGGER = "10s";

  public static final OptionKey<WriteMode> WRITE_MODE = OptionKey.choice("ingest.write-mode", WriteMode.class, null,
      "append, or insert-missing to reprocess records the tables may hold already (a MERGE on the event's "
          + "tenant, id and date); required when a new checkpoint starts on non-empty tables");

  public static List<OptionKey<?>> keys() {
    List<OptionKey<?>> keys = new ArrayList<>(KafkaOptions.KEYS);
    keys.addAll(StorageOptions.KEYS);
    keys.addAll(ValidationLimits.KEYS);
    keys.addAll(StreamOptions.keys(JOB, DEFAULT_TRIGGER));
    keys.addAll(EventDedup.KEYS);
    keys.add(WRITE_MODE);
    return keys;
  }

  public static IngestOptions from(Settings s) {
    StorageOptions storage = StorageOptions.from(s);
    return new IngestOptions(KafkaOptions.from(s), storage, ValidationLimits.from(s),
        StreamOptions.from(s, JOB, DEFAULT_TRIGGER, storage), EventDedup.Options.from(s),
        s.find(WRITE_MODE));
  }
}
