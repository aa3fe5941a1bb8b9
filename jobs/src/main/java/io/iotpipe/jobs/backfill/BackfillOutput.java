package io.iotpipe.jobs.backfill;

import java.time.LocalDate;
import java.util.Optional;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** One output the backfill can recompute for a day, from the events table. */
interface BackfillOutput {
  String name();

  /** Identifies the definitions the output is computed with: a change means recomputing. */
  String definitions();

  /** The events the day's output is computed from (a filter on the events table). */
  Column input(LocalDate day);

  /**
   * What recomputing the day gives and how it differs from what Delta holds: {@code changed} rows
   * of {@code fresh} are new or differ from the stored ones, {@code removed} stored rows are
   * replaced or no longer computed.
   */
  record Plan(LocalDate day, Optional<String> tenant, Dataset<Row> fresh, long rows, long changed, long removed) {
    boolean differs() {
      return changed > 0 || removed > 0;
    }
  }

  Plan plan(Dataset<Row> inputEvents, LocalDate day, Optional<String> tenant);

  /**
   * Makes the stores hold the plan: replaces the day (and tenant) in Delta when it differs, and
   * upserts Cassandra. Returns the rows written to Delta.
   */
  long write(Plan plan);

  /** Frees what {@link #plan} cached. */
  void release(Plan plan);
}
