package io.iotpipe.jobs.train;

import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import io.iotpipe.delta.StorageOptions;
import io.iotpipe.features.FeatureSpec;
import io.iotpipe.jobs.features.FeaturesOptions;
import io.iotpipe.ml.ModelRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The options of job {@code train}; see its README. */
public record TrainOptions(StorageOptions storage, String modelsRoot, FeatureSpec spec, String truthFile,
    double testFraction, Duration maxFeatureAge, int maxIterations, boolean force) {

  public static final OptionKey<String> TRUTH_FILE = OptionKey.location("train.truth-file", null,
      "the simulator's ground truth (JSON lines): its spikes are the anomalies to learn");
  public static final OptionKey<Double> TEST_FRACTION = OptionKey.fraction("train.test-fraction", 0.3,
      "the latest part of the time range, held out for evaluation");
  public static final OptionKey<Duration> MAX_FEATURE_AGE = OptionKey.duration("train.max-feature-age",
      Duration.ofMinutes(5), Duration.ZERO, "a label only gets a feature row at most this much older than itself");
  public static final OptionKey<Integer> MAX_ITERATIONS = OptionKey.integer("train.max-iterations", 200, 1, 10_000,
      "optimizer iterations of the logistic regression");
  public static final OptionKey<Boolean> FORCE = OptionKey.bool("train.force", false,
      "publish the new model even if it scores worse than the published one");

  public static List<OptionKey<?>> keys() {
    List<OptionKey<?>> keys = new ArrayList<>(StorageOptions.KEYS);
    keys.add(ModelRegistry.ROOT);
    keys.addAll(List.of(FeaturesOptions.METRICS, FeaturesOptions.HORIZONS, FeaturesOptions.ALLOWED_LATENESS));
    keys.addAll(List.of(TRUTH_FILE, TEST_FRACTION, MAX_FEATURE_AGE, MAX_ITERATIONS, FORCE));
    return keys;
  }

  public static TrainOptions from(Settings s) {
    double testFraction = s.get(TEST_FRACTION);
    if (testFraction <= 0 || testFraction >= 1) {
      throw new io.iotpipe.config.InvalidOptionException(TEST_FRACTION.name(), "must lie strictly between 0 and 1");
    }
    return new TrainOptions(StorageOptions.from(s), s.get(ModelRegistry.ROOT), FeaturesOptions.spec(s),
        s.get(TRUTH_FILE), testFraction, s.get(MAX_FEATURE_AGE), s.get(MAX_ITERATIONS), s.get(FORCE));
  }
}
