package io.iotpipe.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.iotpipe.testing.TestSpark;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StreamingQueriesTest {
  private final SparkSession spark = TestSpark.session();

  @AfterEach
  void unset() {
    spark.conf().unset(StreamingQueries.CHECKPOINT_FILE_MANAGER);
  }

  @Test
  void localCheckpointsAreWrittenWithFileSystemRenames() {
    for (String local : new String[] {"/tmp/iotpipe/checkpoints/ingest", "file:///tmp/iotpipe/checkpoints/ingest"}) {
      spark.conf().unset(StreamingQueries.CHECKPOINT_FILE_MANAGER);
      StreamingQueries.renameLocalCheckpointFiles(spark, local);
      assertEquals(StreamingQueries.RENAME_BASED_FILE_MANAGER, spark.conf().get(StreamingQueries.CHECKPOINT_FILE_MANAGER),
          local);
    }
  }

  @Test
  void otherFileSystemsKeepSparksDefault() {
    StreamingQueries.renameLocalCheckpointFiles(spark, "hdfs://namenode:8020/iotpipe/checkpoints/ingest");
    StreamingQueries.renameLocalCheckpointFiles(spark, "s3a://bucket/iotpipe/checkpoints/ingest");
    assertFalse(spark.conf().contains(StreamingQueries.CHECKPOINT_FILE_MANAGER));
  }

  @Test
  void anOperatorsChoiceIsKept() {
    spark.conf().set(StreamingQueries.CHECKPOINT_FILE_MANAGER, "com.example.OwnCheckpointFileManager");
    StreamingQueries.renameLocalCheckpointFiles(spark, "/tmp/iotpipe/checkpoints/ingest");
    assertEquals("com.example.OwnCheckpointFileManager", spark.conf().get(StreamingQueries.CHECKPOINT_FILE_MANAGER));
  }
}
