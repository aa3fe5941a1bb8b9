package io.iotpipe.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {
  static final OptionKey<Duration> WINDOW = OptionKey.duration("ingest.dedup-window", Duration.ofMinutes(10),
      Duration.ofSeconds(1), "window");
  static final OptionKey<Integer> SIZE = OptionKey.integer("validation.max-event-bytes", 100, 64, 1000, "size");

  @Test
  void commandLineOverridesProfileAndDefaultsFillTheRest(@TempDir Path conf) throws Exception {
    Files.writeString(conf.resolve("p.properties"), "ingest.dedup-window=5m\nvalidation.max-event-bytes=200\n");
    Settings s = Settings.load(conf, "p", Map.of("validation.max-event-bytes", "300"));
    assertEquals(Duration.ofMinutes(5), s.get(WINDOW));
    assertEquals(300, s.get(SIZE));
    assertEquals(Duration.ofMinutes(10), Settings.of(Map.of()).get(WINDOW));
  }

  @Test
  void aBadValueNamesTheOptionAndWhereItWasSet(@TempDir Path conf) throws Exception {
    Files.writeString(conf.resolve("p.properties"), "ingest.dedup-window=ten minutes\n");
    Settings s = Settings.load(conf, "p", Map.of("validation.max-event-bytes", "5000"));
    InvalidOptionException e = assertThrows(InvalidOptionException.class, () -> s.get(WINDOW));
    assertEquals("ingest.dedup-window", e.key());
    assertTrue(e.getMessage().startsWith("--ingest.dedup-window: 'ten minutes' is not a duration"), e.getMessage());
    assertTrue(e.getMessage().contains("p.properties"), e.getMessage());
    InvalidOptionException range = assertThrows(InvalidOptionException.class, () -> s.get(SIZE));
    assertEquals("--validation.max-event-bytes: '5000' is outside 64..1000 (set in the command line)", range.getMessage());
  }

  @Test
  void aMissingProfileIsAnError(@TempDir Path conf) {
    InvalidOptionException e = assertThrows(InvalidOptionException.class, () -> Settings.load(conf, "prod", Map.of()));
    assertEquals("profile", e.key());
  }

  @Test
  void unknownKeysInKnownNamespacesAreRefusedWithAHint() {
    Settings s = Settings.of(Map.of("ingest.dedup-windw", "5m", "other.thing", "x"));
    InvalidOptionException e = assertThrows(InvalidOptionException.class,
        () -> s.rejectUnknown(List.of("ingest."), List.of(WINDOW)));
    assertEquals("ingest.dedup-windw", e.key());
    assertTrue(e.getMessage().contains("did you mean --ingest.dedup-window?"), e.getMessage());
  }

  @Test
  void credentialsAreRefusedOnTheCommandLineAndInProfiles() {
    InvalidOptionException e = assertThrows(InvalidOptionException.class,
        () -> Settings.of(Map.of("kafka.password", "hunter2")));
    assertEquals("kafka.password", e.key());
    assertTrue(e.getMessage().contains("IOTPIPE_KAFKA_PASSWORD"), e.getMessage());
    assertTrue(!e.getMessage().contains("hunter2"), e.getMessage());
  }

  @Test
  void credentialsComeFromTheEnvironmentOrAFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("pw");
    Files.writeString(file, "from-file\n");
    Settings s = Settings.of(Map.of("kafka.password-file", file.toString()));
    assertEquals("from-file", s.withEnvironment(Map.of()).secret("kafka.password").orElseThrow().reveal());
    assertEquals("from-env", s.withEnvironment(Map.of("IOTPIPE_KAFKA_PASSWORD", "from-env"))
        .secret("kafka.password").orElseThrow().reveal());
    assertTrue(Settings.of(Map.of()).withEnvironment(Map.of()).secret("kafka.password").isEmpty());
    Settings missing = Settings.of(Map.of("kafka.password-file", dir.resolve("nope").toString())).withEnvironment(Map.of());
    InvalidOptionException e = assertThrows(InvalidOptionException.class, () -> missing.secret("kafka.password"));
    assertEquals("kafka.password-file", e.key());
  }

  @Test
  void secretsNeverPrintTheirValue() {
    Secret s = new Secret("hunter2");
    assertEquals("****", s.toString());
    assertEquals("hunter2", s.reveal());
  }

  @Test
  void durationsInShortAndIsoForm() {
    assertEquals(Duration.ofMillis(500), Durations.parse("500ms"));
    assertEquals(Duration.ofSeconds(10), Durations.parse("10s"));
    assertEquals(Duration.ofMinutes(5), Durations.parse("5m"));
    assertEquals(Duration.ofHours(2), Durations.parse("2h"));
    assertEquals(Duration.ofDays(1), Durations.parse("1d"));
    assertEquals(Duration.ofMinutes(10), Durations.parse("PT10M"));
    assertThrows(IllegalArgumentException.class, () -> Durations.parse("soon"));
  }

  @Test
  void locationsKeepUrisAndMakePlainPathsAbsolute() {
    OptionKey<String> loc = OptionKey.location("delta.root", null, "root");
    assertEquals("s3a://bucket/delta", Settings.of(Map.of("delta.root", "s3a://bucket/delta")).get(loc));
    String local = Settings.of(Map.of("delta.root", "work/delta")).get(loc);
    assertEquals(Path.of("work/delta").toAbsolutePath().normalize().toString(), local);
  }
}
