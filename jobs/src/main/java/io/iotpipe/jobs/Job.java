package io.iotpipe.jobs;

import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import java.util.List;

/** A job that {@link JobRunner} can run: its name, its options, and how it runs. */
public interface Job {
  String name();

  String description();

  /** Every option the job reads; {@code --help} lists them and anything else is refused. */
  List<OptionKey<?>> options();

  /**
   * Runs the job. Options must be read and checked before anything is written, so that a
   * misconfiguration ends the job with an {@link io.iotpipe.config.InvalidOptionException}
   * and no side effects.
   *
   * @return the process exit code
   */
  int run(Settings settings) throws Exception;
}
