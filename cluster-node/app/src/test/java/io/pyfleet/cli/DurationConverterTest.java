package io.pyfleet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

class DurationConverterTest {

    @Test
    void unitsAndIso() {
        assertEquals(Duration.ofMillis(500), DurationConverter.parse("500ms"));
        assertEquals(Duration.ofSeconds(30), DurationConverter.parse("30s"));
        assertEquals(Duration.ofSeconds(30), DurationConverter.parse("30"));
        assertEquals(Duration.ofMillis(1500), DurationConverter.parse("1.5s"));
        assertEquals(Duration.ofMinutes(2), DurationConverter.parse("2m"));
        assertEquals(Duration.ofMinutes(2), DurationConverter.parse("2min"));
        assertEquals(Duration.ofHours(1), DurationConverter.parse("1h"));
        assertEquals(Duration.ofDays(1), DurationConverter.parse("1d"));
        assertEquals(Duration.ofNanos(1500), DurationConverter.parse("1500ns"));
        assertEquals(Duration.ofNanos(2000), DurationConverter.parse("2us"));
        assertEquals(Duration.ofSeconds(30), DurationConverter.parse("PT30S"));
        assertEquals(Duration.ofMinutes(1), DurationConverter.parse("pt1m"));
        assertEquals(Duration.ofMillis(250), DurationConverter.parse(" 250 ms "));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "abc", "0", "0s", "-1s", "PT0S", "-PT1S", "1x", "1.5ns", "P", "1e3s"})
    void rejected(String text) {
        assertThrows(TypeConversionException.class, () -> DurationConverter.parse(text));
    }
}
