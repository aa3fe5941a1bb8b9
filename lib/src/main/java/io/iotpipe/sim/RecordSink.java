package io.iotpipe.sim;

/** Where simulated records go: Kafka in production runs, a list in unit tests. */
public interface RecordSink extends AutoCloseable {
  /** Called once a record is stored, with where it landed. */
  interface Delivered {
    void at(int partition, long offset);
  }

  void send(SimRecord record, Delivered delivered);

  /** Blocks until every record sent so far is stored. */
  void flush();

  @Override
  void close();
}
