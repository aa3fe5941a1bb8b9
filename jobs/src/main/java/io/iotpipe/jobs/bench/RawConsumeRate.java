package io.iotpipe.jobs.bench;

import io.iotpipe.kafka.KafkaOptions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The ceiling: how fast a plain Kafka consumer on this machine reads the whole topic and
 * discards the records (it touches every value, so nothing is optimised away).
 */
final class RawConsumeRate {
  /** One pass over a topic: records, value bytes and seconds. */
  record Pass(long records, long bytes, double seconds) {
    double eps() {
      return records / seconds;
    }
  }

  private RawConsumeRate() {}

  static Pass measure(KafkaOptions kafka, String topic) {
    Map<String, Object> p = new HashMap<>(kafka.clientProperties());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000);
    p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 * 1024 * 1024);
    try (KafkaConsumer<byte[], byte[]> consumer =
             new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(i -> new TopicPartition(topic, i.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long target = end.values().stream().mapToLong(Long::longValue).sum();
      long records = 0;
      long bytes = 0;
      long checksum = 0;
      long start = System.nanoTime();
      while (records < target) {
        ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofSeconds(5));
        for (ConsumerRecord<byte[], byte[]> r : batch) {
          bytes += r.value() == null ? 0 : r.value().length;
          checksum += r.value() == null || r.value().length == 0 ? 0 : r.value()[0];
        }
        records += batch.count();
        if (batch.isEmpty() && consumer.position(partitions.get(0)) >= end.get(partitions.get(0))
            && partitions.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp))) {
          break;
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      if (checksum == Long.MIN_VALUE) {
        System.out.print(""); // keeps the JIT from dropping the reads
      }
      return new Pass(records, bytes, seconds);
    }
  }
}
