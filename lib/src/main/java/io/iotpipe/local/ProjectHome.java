package io.iotpipe.local;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the repository root (the folder with {@code conf/} and the parent {@code pom.xml}). */
public final class ProjectHome {
  private ProjectHome() {}

  /** From -Diotpipe.home, else $IOTPIPE_HOME, else the nearest parent of the working directory that looks like the root. */
  public static Path find() {
    String configured = System.getProperty("iotpipe.home", System.getenv("IOTPIPE_HOME"));
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured).toAbsolutePath().normalize();
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("conf/local.properties")) && Files.isRegularFile(p.resolve("pom.xml"))) {
        return p;
      }
    }
    throw new IllegalStateException("cannot find the iotpipe repository root from "
        + Path.of("").toAbsolutePath() + "; set IOTPIPE_HOME");
  }
}
