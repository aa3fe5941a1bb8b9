package io.iotpipe.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.iotpipe.sim.MalformedKind;
import io.iotpipe.testing.KafkaRows;
import io.iotpipe.testing.TestSpark;
import java.nio.charset.StandardCharsets;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import scala.collection.JavaConverters;

class EventParserTest {
  private static final Instant T = Instant.parse("2026-11-29T23:30:00.250Z");
  private static final Instant ARRIVAL = T.plusMillis(120);

  private static final TelemetryEvent EVENT = new TelemetryEvent("tenant-01", "dev-00001", "e-1", T, 1,
      Map.of("temperature", 21.5, "humidity", 40.0), Map.of("firmware", "1.2.0"));

  private static List<Row> parse(KafkaRows rows) {
    return EventParser.parse(rows.toDataFrame(), ValidationLimits.DEFAULTS).orderBy("kafka_offset").collectAsList();
  }

  private static Row parseOne(String json, Instant kafkaTimestamp) {
    return parse(new KafkaRows().add(json, kafkaTimestamp)).get(0);
  }

  private static String json(TelemetryEvent e, EventJson.TimeFormat format, ZoneOffset offset) {
    return new String(EventJson.toJson(e, format, offset), StandardCharsets.UTF_8);
  }

  private static String validJson() {
    return json(EVENT, EventJson.TimeFormat.ISO_OFFSET, ZoneOffset.UTC);
  }

  @Test
  void bothTimeFormatsParseToTheSameCanonicalEvent() {
    List<Row> rows = parse(new KafkaRows()
        .add(json(EVENT, EventJson.TimeFormat.ISO_OFFSET, ZoneOffset.ofHoursMinutes(5, 30)), ARRIVAL)
        .add(json(EVENT, EventJson.TimeFormat.EPOCH_MILLIS, ZoneOffset.UTC), ARRIVAL));
    for (Row r : rows) {
      assertNull(r.getAs("reason"), () -> "reason of " + r);
      assertEquals("tenant-01", r.getAs("tenant_id"));
      assertEquals("dev-00001", r.getAs("device_id"));
      assertEquals("e-1", r.getAs("event_id"));
      assertEquals(Timestamp.from(T), r.getAs("event_time"));
      // The UTC date, although the ISO form was written at +05:30 (where it is already the 30th).
      assertEquals(Date.valueOf("2026-11-29"), r.getAs("event_date"));
      assertEquals(1, (int) r.getAs("schema_version"));
      assertEquals(Map.of("temperature", 21.5, "humidity", 40.0), javaMap(r.getAs("metrics")));
      assertEquals(Map.of("firmware", "1.2.0"), javaMap(r.getAs("attributes")));
      assertEquals("telemetry", r.getAs("kafka_topic"));
      assertEquals(Timestamp.from(ARRIVAL), r.getAs("kafka_timestamp"));
    }
  }

  @ParameterizedTest
  @EnumSource(MalformedKind.class)
  void everyMalformedKindIsQuarantinedWithItsReason(MalformedKind kind) {
    byte[] bad = kind.corrupt(validJson().getBytes(StandardCharsets.UTF_8), ARRIVAL);
    Row r = parse(new KafkaRows().add(bad, ARRIVAL)).get(0);
    assertEquals(kind.expectedReason().name(), r.getAs("reason"));
    String firstMetric = validJson().replaceAll(".*\"metrics\":\\{\"([a-z]+)\".*", "$1");
    String detail = r.getAs("reason_detail");
    switch (kind) {
      case WRONG_TYPE -> assertEquals("metrics", detail);
      case MISSING_FIELD -> assertEquals("device_id", detail);
      case UNKNOWN_SCHEMA_VERSION -> assertEquals("99", detail);
      case NON_FINITE_METRIC -> assertEquals(firstMetric, detail);
      case OVERSIZED_PAYLOAD -> assertEquals(String.valueOf(bad.length), detail);
      case FAR_FUTURE_TIME, FAR_PAST_TIME -> assertNotNull(detail);
      case NOT_JSON, TRUNCATED_JSON -> assertNull(detail);
    }
  }

  @Test
  void nonFiniteMetricNamesTheMetric() {
    Row r = parseOne(validJson().replace("21.5", "Infinity"), ARRIVAL);
    assertEquals("NON_FINITE_METRIC", r.getAs("reason"));
    assertEquals("temperature", r.getAs("reason_detail"));
    Row q = parseOne(validJson().replace("21.5", "\"-Infinity\""), ARRIVAL);
    assertEquals("NON_FINITE_METRIC", q.getAs("reason"));
  }

  @Test
  void nullMetricValuesAreLeftOutNotQuarantined() {
    Row r = parseOne(validJson().replace("21.5", "null"), ARRIVAL);
    assertNull(r.getAs("reason"));
    assertEquals(Map.of("humidity", 40.0), javaMap(r.getAs("metrics")));
    Row allNull = parseOne(validJson().replace("21.5", "null").replace("40.0", "null"), ARRIVAL);
    assertEquals("MISSING_FIELD", allNull.getAs("reason"));
    assertEquals("metrics", allNull.getAs("reason_detail"));
  }

  @Test
  void emptyAndMissingPayloadsAreEmptyPayload() {
    List<Row> rows = parse(new KafkaRows().add("", ARRIVAL).add((byte[]) null, ARRIVAL));
    rows.forEach(r -> assertEquals("EMPTY_PAYLOAD", r.getAs("reason")));
  }

  @Test
  void jsonThatIsNotAnObjectIsNotJson() {
    List<Row> rows = parse(new KafkaRows().add("[" + validJson() + "]", ARRIVAL).add("42", ARRIVAL)
        .add("\"text\"", ARRIVAL).add("temperature=21.5", ARRIVAL));
    rows.forEach(r -> assertEquals("NOT_JSON", r.getAs("reason")));
  }

  @Test
  void blankIdentifiersAreMissingFields() {
    Row r = parseOne(validJson().replace("\"tenant-01\"", "\"  \""), ARRIVAL);
    assertEquals("MISSING_FIELD", r.getAs("reason"));
    assertEquals("tenant_id", r.getAs("reason_detail"));
    Row noVersion = parseOne(validJson().replace("\"schema_version\":1,", ""), ARRIVAL);
    assertEquals("MISSING_FIELD", noVersion.getAs("reason"));
    assertEquals("schema_version", noVersion.getAs("reason_detail"));
  }

  @Test
  void eventTimeMustCarryAnOffsetOrBeEpochMillis() {
    String noOffset = validJson().replace("2026-11-29T23:30:00.25Z", "2026-11-29T23:30:00.25");
    Row r = parseOne(noOffset, ARRIVAL);
    assertEquals("INVALID_EVENT_TIME", r.getAs("reason"));
    assertEquals("2026-11-29T23:30:00.25", r.getAs("reason_detail"));
    Row impossible = parseOne(validJson().replace("2026-11-29T23", "2026-13-29T23"), ARRIVAL);
    assertEquals("INVALID_EVENT_TIME", impossible.getAs("reason"));
    Row huge = parseOne(validJson().replace("\"2026-11-29T23:30:00.25Z\"", "99999999999999999999"), ARRIVAL);
    assertEquals("INVALID_EVENT_TIME", huge.getAs("reason"));
  }

  @Test
  void eventTimeLimitsAreRelativeToTheKafkaTimestamp() {
    ValidationLimits d = ValidationLimits.DEFAULTS;
    List<Row> rows = parse(new KafkaRows()
        .add(validJson(), T.minus(d.maxFutureSkew()).plusSeconds(1))   // just within the skew
        .add(validJson(), T.minus(d.maxFutureSkew()).minusSeconds(1))  // just beyond
        .add(validJson(), T.plus(d.maxEventAge()).minusSeconds(1))     // just within the age
        .add(validJson(), T.plus(d.maxEventAge()).plusSeconds(1)));    // just beyond
    assertNull(rows.get(0).getAs("reason"));
    assertEquals("EVENT_TIME_IN_FUTURE", rows.get(1).getAs("reason"));
    assertNull(rows.get(2).getAs("reason"));
    assertEquals("EVENT_TIME_TOO_OLD", rows.get(3).getAs("reason"));
  }

  @Test
  void aLaterSchemaVersionIsRefusedNotMisread() {
    Row r = parseOne(validJson().replace("\"schema_version\":1", "\"schema_version\":2"), ARRIVAL);
    assertEquals("UNSUPPORTED_SCHEMA_VERSION", r.getAs("reason"));
    assertEquals("2", r.getAs("reason_detail"));
  }

  @Test
  void badInputNeverThrowsEvenInAnsiMode() {
    SparkSession ansi = TestSpark.session().newSession();
    ansi.conf().set("spark.sql.ansi.enabled", "true");
    KafkaRows rows = new KafkaRows();
    for (MalformedKind k : MalformedKind.values()) {
      rows.add(k.corrupt(validJson().getBytes(StandardCharsets.UTF_8), ARRIVAL), ARRIVAL);
    }
    rows.add(validJson().replace("\"2026-11-29T23:30:00.25Z\"", "\"yesterday\""), ARRIVAL);
    Dataset<Row> df = ansi.createDataFrame(rows.toDataFrame().collectAsList(), KafkaRows.SCHEMA);
    long refused = EventParser.parse(df, ValidationLimits.DEFAULTS).where("reason IS NOT NULL").count();
    assertEquals(MalformedKind.values().length + 1, refused);
  }

  @Test
  void parsesEachRecordOnceWhenOnlyValidEventsAreKept() {
    KafkaRows rows = new KafkaRows();
    for (int i = 0; i < 3; i++) {
      rows.add(validJson(), ARRIVAL);
    }
    // A checkpointed source, so that the optimizer cannot fold the query into a local relation.
    Dataset<Row> valid = EventParser.parse(rows.toDataFrame().localCheckpoint(), ValidationLimits.DEFAULTS)
        .where(EventParser.isValid()).select("tenant_id", "device_id", "event_id", "event_time", "metrics");
    assertEquals(3, valid.count());
    // Without the barriers in parse(), the valid-events filter is pushed below the parse with a
    // from_json for each field it reads (47 in this plan), and below the validation with the
    // event time's parse copied into it three times.
    String plan = valid.queryExecution().executedPlan().toString();
    assertEquals(1, plan.split("from_json\\(StructField\\(schema_version,IntegerType", -1).length - 1, plan);
    assertEquals(1, plan.split("gettimestamp\\(", -1).length - 1, plan);
  }

  @Test
  void refusesASessionWhoseTimeParserWouldThrow() {
    SparkSession legacy = TestSpark.session().newSession();
    legacy.conf().set("spark.sql.legacy.timeParserPolicy", "EXCEPTION");
    Dataset<Row> df = legacy.createDataFrame(new KafkaRows().add(validJson(), ARRIVAL).toDataFrame().collectAsList(),
        KafkaRows.SCHEMA);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> EventParser.parse(df, ValidationLimits.DEFAULTS));
    assertEquals(true, e.getMessage().contains("spark.sql.legacy.timeParserPolicy=CORRECTED"));
  }

  private static <K, V> Map<K, V> javaMap(scala.collection.Map<K, V> m) {
    return JavaConverters.mapAsJavaMap(m);
  }
}
