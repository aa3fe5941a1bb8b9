package io.iotpipe.config;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * One typed, documented option: its full name (namespaced, e.g. {@code ingest.trigger}), how to
 * parse and check a value, its default (null when it has none) and a one-line description used
 * by {@code --help}. Parsers throw {@link IllegalArgumentException} with a message that says what
 * a good value looks like; {@link Settings} adds the option name and where the value came from.
 */
public record OptionKey<T>(
    String name, String type, T defaultValue, String description, Function<String, T> parser) {

  public T parse(String text) {
    return parser.apply(text);
  }

  public static OptionKey<String> string(String name, String defaultValue, String description) {
    return new OptionKey<>(name, "text", defaultValue, description, s -> {
      if (s.isBlank()) {
        throw new IllegalArgumentException("must not be empty");
      }
      return s.trim();
    });
  }

  public static OptionKey<Integer> integer(
      String name, Integer defaultValue, int min, int max, String description) {
    return new OptionKey<>(name, "integer " + min + ".." + max, defaultValue, description, s -> {
      long v = parseLong(s);
      if (v < min || v > max) {
        throw new IllegalArgumentException("'" + s + "' is outside " + min + ".." + max);
      }
      return (int) v;
    });
  }

  public static OptionKey<Long> longInt(
      String name, Long defaultValue, long min, long max, String description) {
    return new OptionKey<>(name, "integer " + min + ".." + max, defaultValue, description, s -> {
      long v = parseLong(s);
      if (v < min || v > max) {
        throw new IllegalArgumentException("'" + s + "' is outside " + min + ".." + max);
      }
      return v;
    });
  }

  public static OptionKey<Double> fraction(String name, double defaultValue, String description) {
    return new OptionKey<>(name, "fraction 0..1", defaultValue, description, s -> {
      double v;
      try {
        v = Double.parseDouble(s.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + s + "' is not a number");
      }
      if (!(v >= 0.0 && v <= 1.0)) {
        throw new IllegalArgumentException("'" + s + "' is outside 0..1");
      }
      return v;
    });
  }

  public static OptionKey<Double> positiveNumber(String name, Double defaultValue, String description) {
    return new OptionKey<>(name, "number >= 0", defaultValue, description, s -> {
      double v;
      try {
        v = Double.parseDouble(s.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + s + "' is not a number");
      }
      if (!(v >= 0.0) || Double.isInfinite(v)) {
        throw new IllegalArgumentException("'" + s + "' must be a finite number >= 0");
      }
      return v;
    });
  }

  public static OptionKey<Duration> duration(
      String name, Duration defaultValue, Duration min, String description) {
    return new OptionKey<>(name, "duration", defaultValue, description, s -> {
      Duration d = Durations.parse(s);
      if (d.compareTo(min) < 0) {
        throw new IllegalArgumentException("'" + s + "' is shorter than the minimum " + min);
      }
      return d;
    });
  }

  public static OptionKey<Instant> instant(String name, String description) {
    return new OptionKey<>(name, "ISO-8601 instant", null, description, s -> {
      try {
        return Instant.parse(s.trim());
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            "'" + s + "' is not an ISO-8601 instant like 2026-01-31T12:00:00Z");
      }
    });
  }

  /**
   * A storage location for Delta tables or checkpoints: a URI with a scheme (s3a://, hdfs://,
   * abfss://, file:/...) is kept as it is; a plain path is made absolute against the working
   * directory, so that every executor and every restart sees the same place.
   */
  public static OptionKey<String> location(String name, String defaultValue, String description) {
    return new OptionKey<>(name, "path or URI", defaultValue, description, s -> {
      String t = s.trim();
      if (t.isEmpty()) {
        throw new IllegalArgumentException("must not be empty");
      }
      if (t.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
        return t;
      }
      return Path.of(t).toAbsolutePath().normalize().toString();
    });
  }

  public static OptionKey<Boolean> bool(String name, boolean defaultValue, String description) {
    return new OptionKey<>(name, "true|false", defaultValue, description, s -> {
      return switch (s.trim().toLowerCase(Locale.ROOT)) {
        case "true", "yes" -> true;
        case "false", "no" -> false;
        default -> throw new IllegalArgumentException("'" + s + "' is not true or false");
      };
    });
  }

  /** A value out of a fixed set, written in lower case with dashes (AVAILABLE_NOW is available-now). */
  public static <E extends Enum<E>> OptionKey<E> choice(
      String name, Class<E> type, E defaultValue, String description) {
    String allowed = Arrays.stream(type.getEnumConstants()).map(OptionKey::spell)
        .collect(Collectors.joining("|"));
    return new OptionKey<>(name, allowed, defaultValue, description, s -> {
      for (E e : type.getEnumConstants()) {
        if (spell(e).equals(s.trim().toLowerCase(Locale.ROOT))) {
          return e;
        }
      }
      throw new IllegalArgumentException("'" + s + "' is not one of " + allowed);
    });
  }

  public static String spell(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private static long parseLong(String s) {
    try {
      return Long.parseLong(s.trim().replace("_", ""));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + s + "' is not a whole number");
    }
  }

  /** How the default reads in help output. */
  public String defaultText() {
    if (defaultValue == null) {
      return "(none)";
    }
    return defaultValue instanceof Enum<?> e ? spell(e) : String.valueOf(defaultValue);
  }
}
