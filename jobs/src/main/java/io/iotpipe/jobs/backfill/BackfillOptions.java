package io.iotpipe.jobs.backfill;

import io.iotpipe.cassandra.CassandraOptions;
import io.iotpipe.config.InvalidOptionException;
import io.iotpipe.config.OptionKey;
import io.iotpipe.config.Settings;
import io.iotpipe.delta.StorageOptions;
import io.iotpipe.jobs.aggregates.AggregatesOptions;
import io.iotpipe.jobs.features.FeaturesOptions;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The options of job {@code backfill}; see its README. */
public record BackfillOptions(StorageOptions storage, CassandraOptions cassandra, LocalDate from, LocalDate to,
    Optional<String> tenant, List<String> jobs, boolean dryRun, AggregatesOptions.Batch aggregates,
    FeaturesOptions.Batch features) {

  static final Set<String> JOBS = Set.of("aggregates", "features");

  public static final OptionKey<LocalDate> FROM = date("backfill.from", "first day to recompute (UTC date)");
  public static final OptionKey<LocalDate> TO = date("backfill.to", "last day to recompute (default: the first day)");
  public static final OptionKey<String> TENANT = OptionKey.string("backfill.tenant", null,
      "only this tenant (default: all)");
  public static final OptionKey<List<String>> WHICH = new OptionKey<>("backfill.jobs", "names, comma separated",
      List.of("aggregates", "features"), "outputs to recompute: aggregates, features", s -> {
        List<String> jobs = Arrays.stream(s.split(",")).map(String::trim).filter(j -> !j.isEmpty()).toList();
        for (String j : jobs) {
          if (!JOBS.contains(j)) {
            throw new IllegalArgumentException("'" + j + "' is not one of " + JOBS);
          }
        }
        if (jobs.isEmpty()) {
          throw new IllegalArgumentException("names no output");
        }
        return jobs;
      });
  public static final OptionKey<Boolean> DRY_RUN = OptionKey.bool("backfill.dry-run", false,
      "compute and print what would change, write nothing");

  private static OptionKey<LocalDate> date(String name, String description) {
    return new OptionKey<>(name, "date (YYYY-MM-DD)", null, description, s -> {
      try {
        return LocalDate.parse(s.trim());
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException("'" + s + "' is not a date like 2026-11-28");
      }
    });
  }

  public static List<OptionKey<?>> keys() {
    List<OptionKey<?>> keys = new ArrayList<>(StorageOptions.KEYS);
    keys.addAll(CassandraOptions.KEYS);
    keys.addAll(List.of(FROM, TO, TENANT, WHICH, DRY_RUN));
    keys.addAll(AggregatesOptions.Batch.KEYS);
    keys.addAll(FeaturesOptions.Batch.KEYS);
    return keys;
  }

  public static BackfillOptions from(Settings s) {
    LocalDate from = s.get(FROM);
    LocalDate to = s.find(TO).orElse(from);
    if (to.isBefore(from)) {
      throw new InvalidOptionException(TO.name(), to + " is before --" + FROM.name() + " " + from);
    }
    return new BackfillOptions(StorageOptions.from(s), CassandraOptions.from(s), from, to, s.find(TENANT),
        s.get(WHICH), s.get(DRY_RUN), AggregatesOptions.Batch.from(s), FeaturesOptions.Batch.from(s));
  }

  /** The days from {@code from} to {@code to}, inclusive. */
  public List<LocalDate> days() {
    return from.datesUntil(to.plusDays(1)).toList();
  }

  /** The arguments that identify a run, for resuming it. */
  String identity() {
    return "from=" + from + ";to=" + to + ";tenant=" + tenant.orElse("*") + ";jobs=" + String.join(",", jobs);
  }
}
