package io.iotpipe.spark;

import java.util.concurrent.TimeoutException;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starting and running the suite's streaming queries, all the same way. */
public final class StreamingQueries {
  private static final Logger LOG = LoggerFactory.getLogger(StreamingQueries.class);

  private StreamingQueries() {}

  /**
   * Starts {@code rows} into {@code sink} with the job's checkpoint, trigger and state store,
   * under {@code name}. (The state store is fixed by a checkpoint's first run; Spark keeps using
   * the one recorded there.)
   */
  public static StreamingQuery start(Dataset<Row> rows, String name, StreamOptions o,
      VoidFunction2<Dataset<Row>, Long> sink) throws TimeoutException {
    rows.sparkSession().conf().set("spark.sql.streaming.stateStore.providerClass", o.stateStore().providerClass);
    return rows.writeStream()
        .queryName(name)
        .option("checkpointLocation", o.checkpoint())
        .trigger(o.trigger().toSpark())
        .foreachBatch(sink)
        .start();
  }

  /**
   * Waits until the query ends (available-now) or the process is told to stop (SIGTERM: the
   * query stops between or within a batch, and the checkpoint makes the next start continue).
   */
  public static void runUntilStopped(StreamingQuery query) throws StreamingQueryException {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        query.stop();
      } catch (TimeoutException e) {
        LOG.warn("{}: the query did not stop in time", query.name());
      }
    }));
    query.awaitTermination();
  }
}
