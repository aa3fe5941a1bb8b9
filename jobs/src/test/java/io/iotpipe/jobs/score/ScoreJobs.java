package io.iotpipe.jobs.score;

import org.apache.spark.sql.SparkSession;

/** Test access to the score job with a step injected between its writes. */
public final class ScoreJobs {
  private ScoreJobs() {}

  /** A step run after the Delta and Cassandra writes of a batch, before the Kafka transaction. */
  public interface Step extends ScoreSink.Step {}

  public static ScoreJob.Running start(SparkSession spark, ScoreOptions o, Step beforeKafka) throws Exception {
    return ScoreJob.startFromOptions(spark, o, beforeKafka);
  }
}
